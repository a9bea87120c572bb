import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putIndexValue } from '../standards/support';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { AdjustmentKind, BenefitKind, DeathCause, PayrollLineKind, type Person } from '../../protos/gen/youfu/persons/v1/persons';
import { SubsidyStandardServiceService, IndexKind } from '../../protos/gen/youfu/standards/v1/standards';
import { createUnaryClient } from '../../services/lib/grpc';
import { token } from '../support/env';
import { failure } from '../support/grpc';
import { disabled, idGenerator, movableClock, pbDate, pbMonth, registration, startStack, survivor, type GeneratedId, type Stack } from './support';

/**
 * Exactly-once and money edge cases under concurrency: the same payroll run several times at
 * once, the same change approved several times at once, a death recorded after months were paid.
 */
const { clock, set: setToday } = movableClock('2022-12-20');
const generate = idGenerator(4711);
const issued: string[] = [];
const gen = (o?: Parameters<typeof generate>[0]) => {
  const g = generate(o);
  issued.push(g.id);
  return g;
};
let stack: Stack;
let clerk: string;
let approver: string;
let approver2: string;
let auditor: string;

const fen = (m: { fen: bigint } | undefined) => m?.fen;
const settle = <T>(ps: Promise<T>[]) => Promise.allSettled(ps);
const payroll = (month: string) => stack.client.runPayroll({ month: pbMonth(month) }, approver);
const linesOf = async (month: string, personId: string) => (await stack.client.listPayrollLines({ month: pbMonth(month), personId, page: { pageSize: 100, pageToken: '' } }, auditor)).lines;

async function register(g: GeneratedId, grade: number, approvalDate = '2022-09-05') {
  const proposed = await stack.client.proposeRegistration({ origin: '', person: registration(g, { approvalDate: pbDate(approvalDate), identities: [{ attributes: disabled(grade), effectiveFrom: pbDate('2021-01-10') }] }) }, clerk);
  return (await stack.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, approver)).person!;
}
async function propose(p: Person, c: Parameters<Stack['client']['proposeChange']>[0]['change']) {
  const current = (await stack.client.getPerson({ personId: p.personId }, clerk)).person!;
  return (await stack.client.proposeChange({ personId: current.personId, expectedVersion: current.version, change: c }, clerk)).change!;
}

beforeAll(async () => {
  stack = await startStack('persons_integrity', clock);
  [clerk, approver, approver2, auditor] = await Promise.all([token('clerk', 'li'), token('approver', 'wang'), token('approver', 'chen'), token('auditor', 'zhao')]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('persons: exactly once under concurrency, late changes', () => {
  let a: Person;
  let b: Person;
  let nursed: Person;

  it('a registration approved by two approvers at once registers the person once', async () => {
    const g = gen({ region: '440106' });
    const proposed = await stack.client.proposeRegistration({ origin: '', person: registration(g, { identities: [{ attributes: disabled(5), effectiveFrom: pbDate('2021-01-10') }] }) }, clerk);
    const outcomes = await settle([approver, approver2, approver, approver2].map((t) => stack.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, t)));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(await failure(Promise.reject(o.reason))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'ALREADY_DECIDED' });
    a = (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<Stack['client']['approveChange']>>>).value.person!;
    const n = await stack.persons.pool.query<{ n: number }>("SELECT (SELECT count(*) FROM persons)::int + (SELECT count(*) FROM outbox WHERE event_type = 'youfu.persons.v1.PersonRegistered')::int AS n");
    expect(n.rows[0]!.n).toBe(2);
    b = await register(gen({ region: '440105' }), 5);
  });

  it('the same payroll run four times at once pays each month once', async () => {
    for (const month of ['2022-09', '2022-10', '2022-11']) {
      const runs = await Promise.all([0, 1, 2, 3].map(() => payroll(month)));
      expect(runs.filter((r) => !r.alreadyRun)).toHaveLength(1);
      for (const r of runs) expect(fen(r.payroll!.total)).toBe(2n * 492_500n);
      expect((await linesOf(month, a.personId)).map((l) => l.amount?.fen)).toEqual([492_500n]);
    }
  });

  it('a change approved twice at once is applied once: one set of back-pay lines', async () => {
    const c = await propose(b, { $case: 'changeIdentity', value: { identityId: b.identities[0]!.identityId, attributes: disabled(4), effectiveDate: pbDate('2022-10-03') } });
    const outcomes = await settle([approver, approver2, approver, approver2].map((t) => stack.client.approveChange({ changeId: c.changeId, note: '' }, t)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const benefits = await stack.client.getBenefits({ personId: b.personId, includeSuperseded: false }, clerk);
    // Grade 4 WAR from October: 630,583 − 492,500 = 138,083 per month for October and November.
    expect(benefits.adjustments.map((x) => [x.month, x.benefit, x.amount?.fen])).toEqual([
      [pbMonth('2022-10'), BenefitKind.BENEFIT_KIND_PENSION, 138_083n],
      [pbMonth('2022-11'), BenefitKind.BENEFIT_KIND_PENSION, 138_083n],
    ]);
    const person = (await stack.client.getPerson({ personId: b.personId }, clerk)).person!;
    expect(person.version).toBe(2n);
    expect(person.identities).toHaveLength(2);
  });

  it('a person whose first months were already closed is paid them as back pay by the next payroll', async () => {
    const late = await register(gen({ region: '440111' }), 6, '2022-10-08');
    const b2 = await stack.client.getBenefits({ personId: late.personId, includeSuperseded: false }, clerk);
    expect(b2.adjustments.map((x) => [x.month, x.kind, x.amount?.fen])).toEqual([
      [pbMonth('2022-10'), AdjustmentKind.ADJUSTMENT_KIND_BACK_PAY, 384_750n],
      [pbMonth('2022-11'), AdjustmentKind.ADJUSTMENT_KIND_BACK_PAY, 384_750n],
    ]);
    await payroll('2022-12');
    expect((await linesOf('2022-12', late.personId)).map((l) => [l.kind, l.forMonth, l.amount?.fen])).toEqual([
      [PayrollLineKind.PAYROLL_LINE_KIND_REGULAR, pbMonth('2022-12'), 384_750n],
      [PayrollLineKind.PAYROLL_LINE_KIND_BACK_PAY, pbMonth('2022-10'), 384_750n],
      [PayrollLineKind.PAYROLL_LINE_KIND_BACK_PAY, pbMonth('2022-11'), 384_750n],
    ]);
  });

  it('a nursing fee derived from an earlier year\'s wage is listed as an exception in January\'s payroll', async () => {
    const standards = createUnaryClient(SubsidyStandardServiceService, `127.0.0.1:${stack.standards.grpcPort}`);
    try {
      await putIndexValue(standards, { kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2021, fen: 1_300_000n });
    } finally {
      standards.close();
    }
    nursed = await register(gen({ region: '440104' }), 3);
    // Grade 3 WAR: 40% of the 2021 wage for 2022 months, no exception.
    const periods = (await stack.client.getBenefits({ personId: nursed.personId, includeSuperseded: false }, clerk)).periods;
    expect(periods.map((p) => [p.benefit, p.monthlyAmount?.fen, p.missing])).toEqual([
      [BenefitKind.BENEFIT_KIND_NURSING_FEE, 520_000n, []],
      [BenefitKind.BENEFIT_KIND_PENSION, 769_333n, []],
    ]);
  });

  it('a death recorded after months were paid: the months after it are overpaid, offset against the funeral subsidy', async () => {
    setToday('2023-01-20');
    const jan = (await payroll('2023-01')).payroll!;
    // 2023 months need the 2022 wage: the 2021-based fee is flagged, not silently carried on.
    expect(jan.exceptions.filter((e) => e.personId === nursed.personId)).toEqual([
      expect.objectContaining({ benefit: BenefitKind.BENEFIT_KIND_NURSING_FEE, missing: [expect.stringMatching(/2023.*recompute from 2023-01/)] }),
    ]);
    const c = await propose(a, { $case: 'recordDeath', value: { dateOfDeath: pbDate('2022-11-30'), cause: DeathCause.DEATH_CAUSE_OTHER, nextOfKin: { bank: '农业银行', accountNumber: '6228480000000000003', accountName: '张小三' } } });
    const r = await stack.client.approveChange({ changeId: c.changeId, note: '' }, approver);
    // Paid through November (the month of death); December and January were overpaid.
    expect(fen(r.effect!.overpayment)).toBe(-2n * 492_500n);
    expect(fen(r.effect!.funeralSubsidy)).toBe(6n * 492_500n);
    setToday('2023-02-20');
    await payroll('2023-02');
    expect((await linesOf('2023-02', a.personId)).map((l) => [l.kind, l.benefit, l.forMonth, l.amount?.fen])).toEqual([
      [PayrollLineKind.PAYROLL_LINE_KIND_ONE_OFF, BenefitKind.BENEFIT_KIND_FUNERAL_SUBSIDY, pbMonth('2022-11'), 6n * 492_500n],
      [PayrollLineKind.PAYROLL_LINE_KIND_RECOVERY, BenefitKind.BENEFIT_KIND_PENSION, pbMonth('2022-12'), -492_500n],
      [PayrollLineKind.PAYROLL_LINE_KIND_RECOVERY, BenefitKind.BENEFIT_KIND_PENSION, pbMonth('2023-01'), -492_500n],
    ]);
    const adj = (await stack.client.getBenefits({ personId: a.personId, includeSuperseded: false }, clerk)).adjustments;
    expect(adj.filter((x) => x.kind === AdjustmentKind.ADJUSTMENT_KIND_OVERPAYMENT).map((x) => x.settled?.fen)).toEqual([492_500n, 492_500n]);
  });

  it('an added higher identity counts from the month of its date (就高): back pay for the closed months, both identities recorded', async () => {
    // Grade 8 WAR (21,960 yuan/yr = 183,000 fen/month), registered late: every closed month is back pay.
    const low = await register(gen({ region: '440106' }), 8);
    const c = await propose(low, { $case: 'addIdentity', value: { identity: { attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), effectiveFrom: pbDate('2022-11-25') } } });
    const r = await stack.client.approveChange({ changeId: c.changeId, note: '' }, approver);
    // Martyr survivor: 36,910 yuan/yr = 307,583 fen/month, paid from November (the month of its date).
    expect(fen(r.effect!.backPay)).toBe(4n * (307_583n - 183_000n));
    const periods = (await stack.client.getBenefits({ personId: low.personId, includeSuperseded: false }, clerk)).periods;
    expect(periods.map((p) => [p.fromMonth, p.toMonth, p.monthlyAmount?.fen, p.category])).toEqual([
      [pbMonth('2022-09'), pbMonth('2022-10'), 183_000n, Category.CATEGORY_DISABLED_SERVICEMAN],
      [pbMonth('2022-11'), undefined, 307_583n, Category.CATEGORY_MARTYR_SURVIVOR],
    ]);
    const p = (await stack.client.getPerson({ personId: low.personId }, clerk)).person!;
    expect(p.identities.map((i) => i.attributes?.category).sort()).toEqual([Category.CATEGORY_DISABLED_SERVICEMAN, Category.CATEGORY_MARTYR_SURVIVOR].sort());
  });

  it('pages through change requests without losing any, however close in time they were proposed', async () => {
    // Three proposals within one millisecond (proposed_at has microseconds; a JS Date does not).
    for (const us of ['456', '400', '300']) {
      await stack.persons.pool.query(
        `INSERT INTO change_requests (id, kind, status, summary, proposed_by, proposed_at) VALUES (gen_random_uuid(), 'RECOMPUTE', 'REJECTED', 'same millisecond', 'li', $1)`,
        [`2023-02-20T10:00:00.123${us}Z`],
      );
    }
    const all: string[] = [];
    let pageToken = '';
    do {
      const r = await stack.client.listChangeRequests({ status: 0, personId: '', proposedBy: '', page: { pageSize: 1, pageToken } }, clerk);
      all.push(...r.changes.map((c) => c.changeId));
      pageToken = r.page!.nextPageToken;
    } while (pageToken);
    const n = await stack.persons.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM change_requests');
    expect(new Set(all).size).toBe(n.rows[0]!.n);
    expect(all).toHaveLength(n.rows[0]!.n);
  });

  it('fifty proposals on one person at once: one is pending, the others refused PENDING_CHANGE_EXISTS', async () => {
    const p = await register(gen({ region: '440106' }), 6);
    const outcomes = await settle(
      Array.from({ length: 50 }, () => stack.client.proposeChange({ personId: p.personId, expectedVersion: p.version, change: { $case: 'recompute', value: { effectiveDate: pbDate('2022-12-01') } } }, clerk)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((x) => x.status === 'rejected')) expect(await failure(Promise.reject((o as PromiseRejectedResult).reason))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'PENDING_CHANGE_EXISTS' });
    const pending = await stack.persons.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM change_requests WHERE person_id = $1 AND status = 'PROPOSED'", [p.personId]);
    expect(pending.rows[0]!.n).toBe(1);
  });

  it('keeps no clear ID number, name or account number in any table, outbox and audit included', async () => {
    const tables = await stack.persons.pool.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
    expect(tables.rows.map((r) => r.t)).toEqual(expect.arrayContaining(['audit_log', 'change_requests', 'outbox', 'payroll_lines', 'persons', 'staged_persons']));
    const clear = [...issued, '张三', '张小三', '6222020000000000001', '6228480000000000003', '13800000000'];
    for (const { t } of tables.rows) {
      const rows = await stack.persons.pool.query<{ x: string }>(`SELECT t::text AS x FROM ${t} t`);
      // bytea columns (event payloads) print as hex.
      for (const { x } of rows.rows) for (const c of clear) expect(x.includes(c) || x.includes(Buffer.from(c).toString('hex')), `${t} holds ${c.slice(0, 6)}…`).toBe(false);
    }
  });
});
