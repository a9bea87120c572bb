import * as grpc from '@grpc/grpc-js';
import type { Consumer } from 'kafkajs';
import { putIndexValue } from '../standards/support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { BenefitChanged, PersonRegistered } from '../../protos/gen/youfu/persons/v1/events';
import {
  AdjustmentKind,
  BenefitKind,
  ChangeStatus,
  DeathCause,
  PayrollLineKind,
  PersonStatus,
  type Person,
} from '../../protos/gen/youfu/persons/v1/persons';
import { SubsidyStandardServiceService, IndexKind } from '../../protos/gen/youfu/standards/v1/standards';
import { createUnaryClient } from '../../services/lib/grpc';
import { createKafka } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { eventually, testConfig, token } from '../support/env';
import { failure } from '../support/grpc';
import { disabled, idGenerator, movableClock, pbDate, pbMonth, registration, startStack, survivor, type GeneratedId, type Stack } from './support';

const { clock, set: setToday } = movableClock('2023-01-20');
const gen = idGenerator(2024);
const ids: Record<'A' | 'B' | 'C' | 'D' | 'E', GeneratedId> = { A: gen({ region: '440106' }), B: gen({ region: '440106' }), C: gen({ region: '440105' }), D: gen({ region: '440105' }), E: gen({ region: '440111' }) };

let stack: Stack;
let clerk: string;
let approver: string;
let auditor: string;
const persons: Partial<Record<keyof typeof ids, Person>> = {};

const fen = (m: { fen: bigint } | undefined) => m?.fen;

async function register(g: GeneratedId, grade: number) {
  const proposed = await stack.client.proposeRegistration({ origin: '', person: registration(g, { identities: [{ attributes: disabled(grade), effectiveFrom: pbDate('2021-01-10') }] }) }, clerk);
  const approved = await stack.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, approver);
  return approved.person!;
}

async function change(p: keyof typeof ids, c: Parameters<Stack['client']['proposeChange']>[0]['change']) {
  const current = (await stack.client.getPerson({ personId: persons[p]!.personId }, clerk)).person!;
  const proposed = await stack.client.proposeChange({ personId: current.personId, expectedVersion: current.version, change: c }, clerk);
  return stack.client.approveChange({ changeId: proposed.change!.changeId, note: 'checked' }, approver);
}

const payroll = (month: string) => stack.client.runPayroll({ month: pbMonth(month) }, approver);
const linesOf = async (month: string, personId: string, as = auditor) => (await stack.client.listPayrollLines({ month: pbMonth(month), personId, page: { pageSize: 100, pageToken: '' } }, as)).lines;

beforeAll(async () => {
  stack = await startStack('persons', clock);
  [clerk, approver, auditor] = await Promise.all([token('clerk', 'li'), token('approver', 'wang'), token('auditor', 'zhao')]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('persons: register → approve → benefits → payroll → changes → death', () => {
  it('registers a person through maker–checker; the benefit comes from the seeded 2022 table', async () => {
    const before = (await stack.client.listChangeRequests({ status: 0, personId: '', proposedBy: '', page: undefined }, clerk)).changes.length;
    const proposed = await stack.client.proposeRegistration({ origin: '', person: registration(ids.A, { identities: [{ attributes: disabled(5), effectiveFrom: pbDate('2021-01-10') }] }) }, clerk);
    expect(proposed.change).toMatchObject({ status: ChangeStatus.CHANGE_STATUS_PROPOSED, proposedBy: 'li', nationalIdMasked: `${ids.A.id.slice(0, 6)}********${ids.A.id.slice(-4)}` });
    expect(proposed.change!.summary).not.toContain(ids.A.id);
    expect((await stack.client.listChangeRequests({ status: 0, personId: '', proposedBy: '', page: undefined }, clerk)).changes.length).toBe(before + 1);
    // The approver sees the person as proposed (masked), and "my proposals" finds it by its proposer.
    const shown = await stack.client.getChangeRequest({ changeId: proposed.change!.changeId }, approver);
    expect(shown.before).toBe('');
    expect(JSON.parse(shown.after)).toMatchObject({ nationalId: proposed.change!.nationalIdMasked, status: 'ACTIVE', identities: [{ category: 'DISABLED_SERVICEMAN', grade: 5, from: '2021-01-10', to: null }] });
    expect(shown.after).not.toContain(ids.A.id);
    const mine = async (proposedBy: string) => (await stack.client.listChangeRequests({ status: 0, personId: '', proposedBy, page: undefined }, clerk)).changes.map((c) => c.changeId);
    expect(await mine('li')).toContain(proposed.change!.changeId);
    expect(await mine('someone-else')).toEqual([]);
    // Not registered until approved.
    expect((await failure(stack.client.findPersonByNationalId({ nationalId: ids.A.id }, clerk))).code).toBe(grpc.status.NOT_FOUND);

    const approved = await stack.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, approver);
    persons.A = approved.person!;
    expect(approved.change).toMatchObject({ status: ChangeStatus.CHANGE_STATUS_APPROVED, decidedBy: 'wang' });
    expect(persons.A).toMatchObject({ status: PersonStatus.PERSON_STATUS_ACTIVE, version: 1n, nationalId: ids.A.id, districtCode: '440106' });

    const b = await stack.client.getBenefits({ personId: persons.A.personId, includeSuperseded: false }, clerk);
    expect(b.periods).toHaveLength(1);
    expect(b.periods[0]).toMatchObject({ benefit: BenefitKind.BENEFIT_KIND_PENSION, fromMonth: pbMonth('2022-09'), toMonth: undefined, monthlyAmount: { fen: 492_500n }, category: Category.CATEGORY_DISABLED_SERVICEMAN });
    expect(b.periods[0]!.versionsUsed.length).toBeGreaterThan(0);
    expect(b.periods[0]!.missing).toEqual([]);
  });

  it('shows the national ID and payee account in full only to auditors and approvers', async () => {
    const id = persons.A!.personId;
    const asClerk = (await stack.client.getPerson({ personId: id }, clerk)).person!;
    expect(asClerk.nationalId).toBe(asClerk.nationalIdMasked);
    expect(asClerk.nationalId).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
    expect(asClerk.payee!.accountNumber).toMatch(/^\*+0001$/);
    expect(asClerk.name).toBe('张三');
    const asService = (await stack.client.getPerson({ personId: id }, await token('service', 'settlement'))).person!;
    expect(asService.nationalId).toBe(asClerk.nationalIdMasked);
    const asAuditor = (await stack.client.findPersonByNationalId({ nationalId: ids.A.id }, auditor)).person!;
    expect(asAuditor.nationalId).toBe(ids.A.id);
    expect(asAuditor.payee!.accountNumber).toBe('6222020000000000001');
  });

  it('stores PII encrypted, with a keyed hash for lookups', async () => {
    const row = (await stack.persons.pool.query<Record<string, string>>('SELECT * FROM persons WHERE id = $1', [persons.A!.personId])).rows[0]!;
    expect(row.id_hash).toMatch(/^[0-9a-f]{64}$/);
    for (const col of ['id_enc', 'name_enc', 'contact_enc', 'payee_account_enc', 'payee_name_enc']) expect(row[col]).toMatch(/^v1:dev:/);
    const raw = JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const clear of [ids.A.id, '张三', '6222020000000000001', '13800000000']) expect(raw).not.toContain(clear);
  });

  it('records the standards versions it sees on youfu.standards.v1 (once each)', async () => {
    const versions = await eventually(async () => {
      const r = await stack.persons.pool.query<{ m: string }>("SELECT to_char(effective_from, 'YYYY-MM') AS m FROM standard_versions ORDER BY 1");
      return r.rows.length >= 2 ? r.rows.map((x) => x.m) : undefined;
    }, 30_000, 'seeded versions');
    expect(versions).toEqual(['2021-08', '2022-08']);
    const processed = await stack.persons.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'persons.standards-versions'");
    expect(processed.rows[0]!.n).toBe(2);
  });

  it('refuses bad input with a clear status and writes nothing', async () => {
    const count = async () => (await stack.client.listChangeRequests({ status: 0, personId: '', proposedBy: '', page: { pageSize: 500, pageToken: '' } }, clerk)).changes.length;
    const before = await count();
    const g = gen({ region: '440106' });
    const badCheck = g.id.slice(0, 17) + (g.id[17] === '1' ? '2' : '1');
    let f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(g, { nationalId: badCheck }) }, clerk));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'INVALID_CHECK_CHARACTER', fields: ['person.nationalId'] });
    f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(g, { birthDate: pbDate('1950-01-01') }) }, clerk));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'BIRTH_DATE_MISMATCH', fields: ['person.birthDate'] });
    f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(g, { identities: [{ attributes: disabled(12), effectiveFrom: pbDate('2021-01-10') }] }) }, clerk));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'GRADE_OUT_OF_RANGE', fields: ['person.identities[0].attributes.disabilityGrade'] });
    f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(g, { identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), effectiveFrom: undefined }] }) }, clerk));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, fields: ['person.identities[0].effectiveFrom'] });
    f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(ids.A) }, clerk));
    expect(f).toMatchObject({ code: grpc.status.ALREADY_EXISTS, reason: 'DUPLICATE_PERSON' });
    // Nothing half-accepted: what a proposal carries (encrypted or not) is checked when it is proposed, never first at approval.
    f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(g, { payee: { bank: '工商\u0000银行', accountNumber: '6222020000000000009', accountName: '某人' } }) }, clerk));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'CONTROL_CHARACTER', fields: ['person.payee.bank'] });
    const a = (await stack.client.getPerson({ personId: persons.A!.personId }, clerk)).person!;
    f = await failure(stack.client.proposeChange({ personId: a.personId, expectedVersion: a.version, change: { $case: 'suspend', value: { effectiveDate: pbDate('2022-10-01'), reason: '失联\u0000' } } }, clerk));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'CONTROL_CHARACTER', fields: ['suspend.reason'] });
    expect(await count()).toBe(before);
  });

  it('enforces roles and maker ≠ checker', async () => {
    const g = gen({ region: '440106' });
    const own = await stack.client.proposeRegistration({ origin: '', person: registration(g) }, await token('clerk', 'wang'));
    let f = await failure(stack.client.approveChange({ changeId: own.change!.changeId, note: '' }, approver));
    expect(f).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'OWN_PROPOSAL' });
    f = await failure(stack.client.approveChange({ changeId: own.change!.changeId, note: '' }, clerk));
    expect(f).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'ROLE_NOT_ALLOWED' });
    f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(gen()) }, auditor));
    expect(f).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'ROLE_NOT_ALLOWED' });
    f = await failure(stack.client.runPayroll({ month: pbMonth('2022-09') }, clerk));
    expect(f).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'ROLE_NOT_ALLOWED' });
    f = await failure(stack.client.getPerson({ personId: persons.A!.personId }, await token('hospital', 'his', { hospital: 'H001' })));
    expect(f.code).toBe(grpc.status.PERMISSION_DENIED);
    // A pending duplicate is refused too, and rejecting releases the claim.
    f = await failure(stack.client.proposeRegistration({ origin: '', person: registration(g) }, clerk));
    expect(f).toMatchObject({ code: grpc.status.ALREADY_EXISTS, reason: 'DUPLICATE_PENDING' });
    expect((await failure(stack.client.rejectChange({ changeId: own.change!.changeId, reason: 'no' }, approver))).reason).toBe('OWN_PROPOSAL');
    const rejected = await stack.client.rejectChange({ changeId: own.change!.changeId, reason: 'wrong district' }, await token('approver', 'chen'));
    expect(rejected.change!.status).toBe(ChangeStatus.CHANGE_STATUS_REJECTED);
    const again = await stack.client.proposeRegistration({ origin: '', person: registration(g) }, clerk);
    await stack.client.rejectChange({ changeId: again.change!.changeId, reason: 'test' }, approver);
  });

  it('pays each month once; re-running a payroll changes nothing and returns the same totals', async () => {
    persons.B = await register(ids.B, 6);
    persons.C = await register(ids.C, 5);
    persons.D = await register(ids.D, 5);
    persons.E = await register(ids.E, 4); // grade 4 WAR: nursing fee, but Guangzhou's wage index is not loaded
    const sep = await payroll('2022-09');
    expect(sep.alreadyRun).toBe(false);
    const expected = 492_500n + 384_750n + 492_500n + 492_500n + 630_583n;
    expect(fen(sep.payroll!.total)).toBe(expected);
    expect(sep.payroll!.personsPaid).toBe(5);
    expect(sep.payroll!.exceptions).toEqual([expect.objectContaining({ personId: persons.E.personId, benefit: BenefitKind.BENEFIT_KIND_NURSING_FEE, nationalId: ids.E.id })]);
    expect(sep.payroll!.exceptions[0]!.missing[0]).toMatch(/wage|WAGE|440100/);
    expect(sep.payroll!.byDistrict.map((d) => [d.districtCode, d.amount?.fen])).toEqual([
      ['440105', 985_000n],
      ['440106', 877_250n],
      ['440111', 630_583n],
    ]);
    expect(sep.payroll!.byCategory).toEqual([expect.objectContaining({ category: Category.CATEGORY_DISABLED_SERVICEMAN, amount: { fen: expected }, persons: 5 })]);
    const again = await payroll('2022-09');
    expect(again.alreadyRun).toBe(true);
    expect(again.payroll!.total).toEqual(sep.payroll!.total);
    expect(await linesOf('2022-09', persons.A!.personId)).toHaveLength(1);
    for (const m of ['2022-10', '2022-11', '2022-12']) expect(fen((await payroll(m)).payroll!.total)).toBe(expected);
    const f = await failure(payroll('2023-02'));
    expect(f).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'MONTH_IN_FUTURE' });
  });

  it('a grade raised mid-year records back pay for the months already paid; the next payroll pays it', async () => {
    const r = await change('B', { $case: 'changeIdentity', value: { identityId: persons.B!.identities[0]!.identityId, attributes: disabled(5), effectiveDate: pbDate('2022-10-15') } });
    expect(fen(r.effect!.backPay)).toBe(3n * 107_750n);
    const b = await stack.client.getBenefits({ personId: persons.B!.personId, includeSuperseded: true }, clerk);
    const current = b.periods.filter((p) => !p.supersededByChange);
    expect(current.map((p) => [p.fromMonth, p.toMonth, p.monthlyAmount?.fen])).toEqual([
      [pbMonth('2022-09'), pbMonth('2022-09'), 384_750n],
      [pbMonth('2022-10'), undefined, 492_500n],
    ]);
    expect(b.periods.some((p) => p.supersededByChange === r.change!.changeId)).toBe(true); // history kept
    expect(b.adjustments.map((a) => [a.month, a.kind, a.amount?.fen, a.source])).toEqual(
      ['2022-10', '2022-11', '2022-12'].map((m) => [pbMonth(m), AdjustmentKind.ADJUSTMENT_KIND_BACK_PAY, 107_750n, r.change!.changeId]),
    );
  });

  it('a grade lowered records an overpayment from the month after; suspension skips the person with the reason', async () => {
    const c = await change('C', { $case: 'changeIdentity', value: { identityId: persons.C!.identities[0]!.identityId, attributes: disabled(6), effectiveDate: pbDate('2022-11-20') } });
    expect(fen(c.effect!.overpayment)).toBe(-107_750n);
    expect(fen(c.effect!.backPay)).toBe(0n);
    const d = await change('D', { $case: 'suspend', value: { effectiveDate: pbDate('2022-12-10'), reason: 'imprisonment' } });
    expect(d.person!.status).toBe(PersonStatus.PERSON_STATUS_SUSPENDED);
    expect(d.effect!.lines).toBe(0); // December (the month of suspension) stays paid

    const jan = (await payroll('2023-01')).payroll!;
    const bLines = await linesOf('2023-01', persons.B!.personId);
    expect(bLines.map((l) => [l.kind, l.forMonth, l.amount?.fen])).toEqual([
      [PayrollLineKind.PAYROLL_LINE_KIND_REGULAR, pbMonth('2023-01'), 492_500n],
      ...['2022-10', '2022-11', '2022-12'].map((m) => [PayrollLineKind.PAYROLL_LINE_KIND_BACK_PAY, pbMonth(m), 107_750n]),
    ]);
    const cLines = await linesOf('2023-01', persons.C!.personId);
    expect(cLines.map((l) => [l.kind, l.amount?.fen])).toEqual([
      [PayrollLineKind.PAYROLL_LINE_KIND_REGULAR, 384_750n],
      [PayrollLineKind.PAYROLL_LINE_KIND_RECOVERY, -107_750n],
    ]);
    expect(await linesOf('2023-01', persons.D!.personId)).toEqual([]);
    expect(jan.skipped).toEqual([expect.objectContaining({ personId: persons.D!.personId, reason: 'imprisonment', status: PersonStatus.PERSON_STATUS_SUSPENDED })]);
    expect(fen(jan.backPay)).toBe(323_250n);
    expect(fen(jan.recovered)).toBe(-107_750n);
    expect(fen(jan.total)).toBe(492_500n + 492_500n + 323_250n + 384_750n - 107_750n + 630_583n);
    // Nothing is owed twice: the back pay is settled.
    expect((await payroll('2023-01')).alreadyRun).toBe(true);
  });

  it('an exception is fixed at its source: once the wage index is loaded, a recompute pays the nursing fee back', async () => {
    const standards = createUnaryClient(SubsidyStandardServiceService, `127.0.0.1:${stack.standards.grpcPort}`);
    try {
      for (const [year, fen] of [[2021, 1_300_000n], [2022, 1_400_000n]] as const) {
        await putIndexValue(standards, { kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year, fen });
      }
    } finally {
      standards.close();
    }
    // Persons' standards consumer takes the two IndexValuePublished events and skips them (no dead letter).
    const outbox = await stack.standards.pool.query<{ id: string }>("SELECT id FROM outbox WHERE event_type = 'youfu.standards.v1.IndexValuePublished'");
    expect(outbox.rows).toHaveLength(2);
    await eventually(async () => {
      const seen = await stack.persons.pool.query('SELECT 1 FROM processed_events WHERE event_id = ANY($1::text[])', [outbox.rows.map((x) => x.id)]);
      return seen.rowCount === 2 ? true : undefined;
    }, 30_000, 'the index events consumed');
    const r = await change('E', { $case: 'recompute', value: { effectiveDate: pbDate('2022-09-05') } });
    // Grade 4 WAR: 40% of the previous-year wage — 520,000 fen for 2022 months, 560,000 from January 2023.
    expect(fen(r.effect!.backPay)).toBe(4n * 520_000n + 560_000n);
    const b = await stack.client.getBenefits({ personId: persons.E!.personId, includeSuperseded: false }, clerk);
    expect(b.periods.map((p) => [p.benefit, p.fromMonth?.month, p.toMonth?.month, p.monthlyAmount?.fen, p.missing.length])).toEqual([
      [BenefitKind.BENEFIT_KIND_NURSING_FEE, 9, 12, 520_000n, 0],
      [BenefitKind.BENEFIT_KIND_NURSING_FEE, 1, undefined, 560_000n, 0],
      [BenefitKind.BENEFIT_KIND_PENSION, 9, undefined, 630_583n, 0],
    ]);
  });

  it('a stale version is refused (ABORTED), at proposal and at approval', async () => {
    const f = await failure(stack.client.proposeChange({ personId: persons.B!.personId, expectedVersion: 1n, change: { $case: 'recompute', value: { effectiveDate: pbDate('2023-01-01') } } }, clerk));
    expect(f).toMatchObject({ code: grpc.status.ABORTED, reason: 'STALE_VERSION' });
    const current = (await stack.client.getPerson({ personId: persons.A!.personId }, clerk)).person!;
    const first = await stack.client.proposeChange({ personId: current.personId, expectedVersion: current.version, change: { $case: 'changePayee', value: { payee: { bank: '建设银行', accountNumber: '6217000000000000002', accountName: '张三' } } } }, clerk);
    // Before approval the approver sees the change applied to the person as they stand (masked).
    const preview = await stack.client.getChangeRequest({ changeId: first.change!.changeId }, approver);
    expect(preview.problem).toBe('');
    expect(JSON.parse(preview.before).payee).toEqual({ bank: expect.not.stringMatching('建设银行'), account: expect.stringMatching(/^\*+0001$/) });
    expect(JSON.parse(preview.after).payee).toEqual({ bank: '建设银行', account: expect.stringMatching(/^\*+0002$/) });
    expect(preview.after).not.toContain('6217000000000000002');
    // One open money change per person: a second proposal is refused at once instead of waiting to fail as stale.
    const second = await failure(stack.client.proposeChange({ personId: current.personId, expectedVersion: current.version, change: { $case: 'recompute', value: { effectiveDate: pbDate('2023-01-01') } } }, clerk));
    expect(second).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'PENDING_CHANGE_EXISTS' });
    await stack.client.approveChange({ changeId: first.change!.changeId, note: '' }, approver);
    // Once applied, what its approval recorded.
    const recorded = await stack.client.getChangeRequest({ changeId: first.change!.changeId }, approver);
    expect(JSON.parse(recorded.after)).toMatchObject({ payee: { bank: '建设银行' }, version: String(current.version + 1n) });
    // A proposal overtaken by a direct contact update is stale at approval, and can still be rejected.
    const b = (await stack.client.getPerson({ personId: persons.B!.personId }, clerk)).person!;
    const pending = await stack.client.proposeChange({ personId: b.personId, expectedVersion: b.version, change: { $case: 'recompute', value: { effectiveDate: pbDate('2023-01-01') } } }, clerk);
    await stack.client.updateContact({ personId: b.personId, expectedVersion: b.version, contact: { phone: '13800000000', address: '广州市' } }, clerk);
    const stale = await stack.client.getChangeRequest({ changeId: pending.change!.changeId }, approver);
    expect(stale).toMatchObject({ after: '', problem: expect.stringContaining('changed since the proposal') });
    const g = await failure(stack.client.approveChange({ changeId: pending.change!.changeId, note: '' }, approver));
    expect(g).toMatchObject({ code: grpc.status.ABORTED, reason: 'STALE_VERSION' });
    await stack.client.rejectChange({ changeId: pending.change!.changeId, reason: 'stale' }, approver);
  });

  it('death in month M: paid through M, nothing after, the funeral subsidy in the next payroll to the next of kin', async () => {
    setToday('2023-02-20');
    const feb = await payroll('2023-02');
    expect((await linesOf('2023-02', persons.A!.personId)).map((l) => l.amount?.fen)).toEqual([492_500n]);
    expect(feb.payroll!.personsPaid).toBe(4);

    const via = await token('service', 'workflows', { actor: { subject: 'wang', role: 'approver' } });
    const current = (await stack.client.getPerson({ personId: persons.A!.personId }, clerk)).person!;
    const proposed = await stack.client.proposeChange(
      {
        personId: current.personId,
        expectedVersion: current.version,
        change: { $case: 'recordDeath', value: { dateOfDeath: pbDate('2023-02-10'), cause: DeathCause.DEATH_CAUSE_ILLNESS, nextOfKin: { bank: '农业银行', accountNumber: '6228480000000000003', accountName: '张小三' } } },
      },
      clerk,
    );
    // Approvals are never delegated: a service acting for the approver is refused, the approver's own token decides.
    expect(await failure(stack.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, via))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'APPROVAL_NOT_DELEGABLE' });
    const r = await stack.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, approver);
    expect(r.change).toMatchObject({ decidedBy: 'wang', decidedVia: '' });
    expect(r.person!.status).toBe(PersonStatus.PERSON_STATUS_DECEASED);
    // 12 × the monthly benefit of the month of death: a disabled serviceman who died of illness.
    expect(fen(r.effect!.funeralSubsidy)).toBe(12n * 492_500n);
    expect(fen(r.effect!.overpayment)).toBe(0n);

    setToday('2023-03-20');
    await payroll('2023-03');
    const march = await linesOf('2023-03', persons.A!.personId);
    expect(march.map((l) => [l.kind, l.benefit, l.forMonth, l.amount?.fen])).toEqual([
      [PayrollLineKind.PAYROLL_LINE_KIND_ONE_OFF, BenefitKind.BENEFIT_KIND_FUNERAL_SUBSIDY, pbMonth('2023-02'), 5_910_000n],
    ]);
    expect(march[0]!.payee).toEqual({ bank: '农业银行', accountNumber: '6228480000000000003', accountName: '张小三' });
    expect((await linesOf('2023-03', persons.A!.personId, clerk))[0]!.payee!.accountNumber).toBe('***************0003');
    setToday('2023-04-20');
    await payroll('2023-04');
    expect(await linesOf('2023-04', persons.A!.personId)).toEqual([]);

    const onDeath = await stack.client.checkEligibility({ nationalId: ids.A.id, date: pbDate('2023-02-10'), name: ' 张三' }, await token('service', 'settlement'));
    expect(onDeath).toMatchObject({ entitled: true, personId: persons.A!.personId, nameMatches: true });
    expect(onDeath.identities[0]!.attributes).toMatchObject({ category: Category.CATEGORY_DISABLED_SERVICEMAN, disabilityGrade: 5 });
    const after = await stack.client.checkEligibility({ nationalId: ids.A.id, date: pbDate('2023-02-11'), name: '李四' }, clerk);
    expect(after).toMatchObject({ entitled: false, reason: 'DECEASED', nameMatches: false });
    expect(await stack.client.checkEligibility({ nationalId: gen().id, date: pbDate('2023-02-11'), name: '' }, clerk)).toMatchObject({ entitled: false, reason: 'NOT_REGISTERED' });
  });

  it('keeps an audit trail with actors and masked snapshots', async () => {
    const trail = (await stack.client.getAuditTrail({ personId: persons.A!.personId }, auditor)).entries;
    expect(trail.map((e) => e.action)).toEqual(['REGISTRATION', 'CHANGE_PAYEE', 'RECORD_DEATH']);
    expect(trail[0]).toMatchObject({ actor: 'wang', actorRole: 'approver', proposedBy: 'li', before: '' });
    expect(trail[2]).toMatchObject({ actor: 'wang', actorRole: 'approver', via: '' });
    const all = JSON.stringify(trail);
    expect(all).not.toContain(ids.A.id);
    expect(all).not.toContain('6228480000000000003');
    expect(all).not.toContain('张三');
    expect(JSON.parse(trail[2]!.after)).toMatchObject({ status: 'DECEASED', deathCause: 'ILLNESS' });
  });

  it('lists persons with filters and cursor pages', async () => {
    const page1 = await stack.client.listPersons({ category: Category.CATEGORY_DISABLED_SERVICEMAN, districtCode: '', status: 0, page: { pageSize: 2, pageToken: '' } }, clerk);
    expect(page1.persons).toHaveLength(2);
    const page2 = await stack.client.listPersons({ category: Category.CATEGORY_DISABLED_SERVICEMAN, districtCode: '', status: 0, page: { pageSize: 2, pageToken: page1.page!.nextPageToken } }, clerk);
    const page3 = await stack.client.listPersons({ category: Category.CATEGORY_DISABLED_SERVICEMAN, districtCode: '', status: 0, page: { pageSize: 2, pageToken: page2.page!.nextPageToken } }, clerk);
    expect([...page1.persons, ...page2.persons, ...page3.persons].map((p) => p.personId).sort()).toEqual(Object.values(persons).map((p) => p.personId).sort());
    expect(page3.page!.nextPageToken).toBe('');
    const inDistrict = await stack.client.listPersons({ category: 0, districtCode: '440105', status: PersonStatus.PERSON_STATUS_SUSPENDED, page: undefined }, clerk);
    expect(inDistrict.persons.map((p) => p.personId)).toEqual([persons.D!.personId]);
    expect((await stack.client.listPersons({ category: Category.CATEGORY_MARTYR_SURVIVOR, districtCode: '', status: 0, page: undefined }, clerk)).persons).toEqual([]);
    expect((await failure(stack.client.listPersons({ category: 0, districtCode: '', status: 0, page: { pageSize: 2, pageToken: 'garbage' } }, clerk))).fields).toEqual(['page.pageToken']);
  });

  it('publishes events on youfu.persons.v1 with the masked ID only', async () => {
    const kafka = createKafka(testConfig.YOUFU_KAFKA_BROKERS, 'persons-test', createLogger('test', 'error'));
    const consumer: Consumer = kafka.consumer({ groupId: `${stack.prefix}test-reader` });
    const seen: { type: string; key: string; value: Buffer }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: `${stack.prefix}youfu.persons.v1`, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push({ type: String(message.headers?.ce_type), key: String(message.key), value: message.value! }) });
      const registered = await eventually(async () => {
        const e = seen.find((x) => x.type === 'youfu.persons.v1.PersonRegistered' && x.key === persons.A!.personId);
        return e && PersonRegistered.decode(e.value);
      }, 30_000, 'PersonRegistered of A');
      expect(registered).toMatchObject({ personId: persons.A!.personId, nationalIdMasked: persons.A!.nationalIdMasked, monthlyBenefit: { fen: 492_500n } });
      const benefit = await eventually(async () => {
        const e = seen.find((x) => x.type === 'youfu.persons.v1.BenefitChanged' && x.key === persons.B!.personId);
        return e && BenefitChanged.decode(e.value);
      }, 30_000, 'BenefitChanged of B');
      expect(fen(benefit.backPay)).toBe(323_250n);
      expect(benefit.source).toBe(`change:${benefit.changeId}`);
      await eventually(async () => (seen.some((x) => x.type === 'youfu.persons.v1.PersonStatusChanged' && x.key === persons.A!.personId) ? true : undefined));
      for (const e of seen) for (const g of Object.values(ids)) expect(e.value.includes(Buffer.from(g.id))).toBe(false);
    } finally {
      await consumer.disconnect();
    }
  });
});
