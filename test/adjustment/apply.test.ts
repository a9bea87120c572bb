import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnualAdjustmentServiceService, Phase } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { DeathCause } from '../../protos/gen/youfu/persons/v1/persons';
import { RowComponent, StandardLevel } from '../../protos/gen/youfu/standards/v1/standards';
import { adjustmentModule } from '../../services/adjustment/index';
import { createUnaryClient } from '../../services/lib/grpc';
import { startService } from '../../services/lib/runtime';
import { seedFileVersions } from '../../services/standards/seed';
import { rowToProto } from '../../services/standards/wire';
import { idGenerator, importPersons, importRecords, movableClock, pbDate, pbMonth, registration, survivor, type Stack } from '../persons/support';
import { eventually, token, uniqueId } from '../support/env';
import { failure } from '../support/grpc';
import { temporalClient } from '../support/temporal';
import { startAdjustmentStack, type AdjustmentStack } from './support';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The scenario: standards seeded with 2021 only; the 2022 national rows come through a run
 * effective 2022-08-01 with P = 2022-10. Entitled all along → 2 months of the raise; approved in
 * September → 1; died in August → 1 plus the funeral top-up; suspended → nothing; imported with
 * paid_through 2022-09 → 2. The expected raise is read from the standards API (before and after).
 */
describe('annual adjustment: apply', () => {
  const { clock, set } = movableClock('2022-07-15');
  let a: AdjustmentStack;
  let stack: Stack;
  let clerk: string;
  let approver: string;
  const gen = idGenerator(7373);
  const ids: Record<string, string> = {};
  const martyr = survivor(Category.CATEGORY_MARTYR_SURVIVOR);
  const runId = 'adjustment:2022:national';
  let versionId = '';
  let delta = 0n;

  const register = async (name: string, approvalDate: string) => {
    const p = await stack.client.proposeRegistration({ origin: '', person: registration(gen(), { name, approvalDate: pbDate(approvalDate), identities: [{ attributes: martyr, effectiveFrom: pbDate('2021-09-01') }] }) }, clerk);
    ids[name] = (await stack.client.approveChange({ changeId: p.change!.changeId, note: '' }, approver)).change!.personId;
  };
  const change = async (name: string, c: Parameters<Stack['client']['proposeChange']>[0]['change']) => {
    const { person } = await stack.client.getPerson({ personId: ids[name]! }, clerk);
    const p = await stack.client.proposeChange({ personId: ids[name]!, expectedVersion: person!.version, change: c }, clerk);
    await stack.client.approveChange({ changeId: p.change!.changeId, note: '' }, approver);
  };
  const payroll = (month: string) => stack.client.runPayroll({ month: pbMonth(month) }, approver);
  const lines = async (source: string) =>
    (
      await stack.persons.pool.query<{ person_id: string; benefit: string; month: string; kind: string; fen: bigint }>(
        'SELECT person_id, benefit, month, kind, amount_fen AS fen FROM adjustment_lines WHERE source = $1 ORDER BY person_id, benefit, month',
        [source],
      )
    ).rows;

  beforeAll(async () => {
    a = await startAdjustmentStack('apply', clock, { YOUFU_ADJUSTMENT_PAYROLL_POLL: '1 second' });
    stack = a.stack;
    [clerk, approver] = await Promise.all([token('clerk', 'li'), token('approver', 'wang')]);
    for (const n of ['allAlong', 'diedInAugust', 'suspended']) await register(n, '2021-09-01');
    await change('suspended', { $case: 'suspend', value: { effectiveDate: pbDate('2022-07-10'), reason: 'whereabouts unknown' } });
    await payroll('2022-07');
    set('2022-08-25');
    await change('diedInAugust', { $case: 'recordDeath', value: { dateOfDeath: pbDate('2022-08-20'), cause: DeathCause.DEATH_CAUSE_OTHER, nextOfKin: { bank: '农业银行', accountNumber: '6228480000000000003', accountName: '张小三' } } });
    await payroll('2022-08');
    set('2022-09-20');
    await register('approvedInSeptember', '2022-09-05');
    const legacy = gen();
    const imported = await importPersons(stack.address, clerk, uniqueId('legacy'), [
      { row: 1, person: registration(legacy, { name: 'imported', approvalDate: pbDate('2021-09-01'), identities: [{ attributes: martyr, effectiveFrom: pbDate('2021-09-01') }] }), paidThrough: pbMonth('2022-09') },
    ]);
    await stack.client.approveChange({ changeId: imported.summary!.change!.changeId, note: '' }, approver);
    ids.imported = (await stack.client.findPersonByNationalId({ nationalId: legacy.id }, clerk)).person!.personId;
  }, 180_000);
  afterAll(async () => {
    await a?.stop();
  });

  it('simulates the scenario as the standards say, before anything is published', async () => {
    const rows = seedFileVersions().find((v) => v.effectiveFrom === '2022-08-01')!.rows.map(rowToProto);
    const started = await a.client.startAdjustment(
      { year: 2022, level: StandardLevel.STANDARD_LEVEL_NATIONAL, regionCode: '', payrollMonth: { year: 2022, month: 10 }, source: { $case: 'rows', value: { title: '2022 national', documentNumber: '退役军人部发〔2022〕68号', effectiveFrom: pbDate('2022-08-01'), rows } } },
      clerk,
    );
    versionId = started.adjustment!.versionId;
    // The raise of a martyr's survivor in the registrants' district, from the standards themselves.
    const item = { attributes: martyr, districtCode: registration(gen()).districtCode, date: pbDate('2022-08-01') };
    const monthly = async (candidateVersionId: string) => {
      const r = (await a.standards.batchLookupBenefits({ items: [item], candidateVersionId, beforeVersionId: '' }, clerk)).results[0]!.outcome!;
      if (r.$case !== 'benefit') throw new Error(r.value.message);
      return r.value.monthlyAmount!.fen;
    };
    delta = (await monthly(versionId)) - (await monthly(''));
    expect(delta).toBeGreaterThan(0n);

    const simulated = await a.phase(runId, Phase.PHASE_AWAITING_APPROVAL, clerk);
    const { impacts, total } = await stack.client.listAdjustmentImpact({ runId: simulated.attemptId, page: { pageSize: 100, pageToken: '' }, changedSinceSimulation: false }, clerk);
    const byName = Object.fromEntries(Object.entries(ids).map(([n, id]) => [n, impacts.find((i) => i.personId === id)]));
    expect(byName.allAlong).toMatchObject({ backPay: { fen: 2n * delta }, funeralTopUp: { fen: 0n } });
    expect(byName.approvedInSeptember).toMatchObject({ backPay: { fen: delta } });
    expect(byName.diedInAugust).toMatchObject({ backPay: { fen: delta }, funeralTopUp: { fen: 6n * delta }, newMonthly: { fen: 0n } });
    expect(byName.suspended).toMatchObject({ backPay: { fen: 0n }, oldMonthly: { fen: 0n }, newMonthly: { fen: 0n } });
    expect(byName.imported).toMatchObject({ backPay: { fen: 2n * delta } });
    expect(total).toMatchObject({ persons: 5n, backPay: { fen: 6n * delta }, funeralTopUp: { fen: 6n * delta } });
    expect(simulated.totals).toMatchObject({ persons: 5n, personsAffected: 4n, backPay: { fen: 6n * delta }, funeralTopUp: { fen: 6n * delta } });
    expect(simulated.applyChangeId).not.toBe('');
  });

  it('holds payroll P from the approval until the apply completes, which waits for payroll P−1', async () => {
    // Inputs move after the simulation: a payee changes (new person version), a person is registered.
    await change('allAlong', { $case: 'changePayee', value: { payee: { bank: '建设银行', accountNumber: '6217000000000000002', accountName: '张三' } } });
    await register('registeredSince', '2022-09-10');
    expect(await failure(a.client.approveAdjustment({ runId, payrollMonth: { year: 2022, month: 10 }, note: '' }, await token('approver', 'li')))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'OWN_PROPOSAL' });
    const approved = await a.client.approveAdjustment({ runId, payrollMonth: { year: 2022, month: 10 }, note: 'notice 68' }, approver);
    expect(approved.adjustment!.phase).toBe(Phase.PHASE_PUBLISHED);
    const applyChange = (await stack.client.getChangeRequest({ changeId: approved.adjustment!.applyChangeId }, clerk)).change!;
    expect(applyChange).toMatchObject({ proposedBy: 'li', decidedBy: 'wang' });

    set('2022-10-05');
    // Payroll 2022-09 has not run: the run waits (still PUBLISHED), and payroll 2022-10 may not run.
    expect(await failure(payroll('2022-10'))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'ADJUSTMENT_IN_PROGRESS' });
    expect((await a.client.getAdjustment({ runId }, clerk)).adjustment!.phase).toBe(Phase.PHASE_PUBLISHED);
    await payroll('2022-09');
    const done = await a.phase(runId, Phase.PHASE_COMPLETED, clerk);
    expect(done.applied).toMatchObject({ persons: 6n, backPay: { fen: 7n * delta }, funeralTopUp: { fen: 6n * delta }, changedSinceSimulation: 2n });

    const written = await lines(`adjustment:${versionId}`);
    const of = (n: string) => written.filter((l) => l.person_id === ids[n]).map((l) => [l.benefit, l.month, l.kind, l.fen]);
    expect(of('allAlong')).toEqual([['PENSION', '2022-08', 'BACK_PAY', delta], ['PENSION', '2022-09', 'BACK_PAY', delta]]);
    expect(of('approvedInSeptember')).toEqual([['PENSION', '2022-09', 'BACK_PAY', delta]]);
    expect(of('diedInAugust')).toEqual([['FUNERAL_SUBSIDY', '2022-08', 'ONE_OFF', 6n * delta], ['PENSION', '2022-08', 'BACK_PAY', delta]]);
    expect(of('suspended')).toEqual([]);
    expect(of('imported')).toEqual([['PENSION', '2022-08', 'BACK_PAY', delta], ['PENSION', '2022-09', 'BACK_PAY', delta]]);
    expect(of('registeredSince')).toEqual([['PENSION', '2022-09', 'BACK_PAY', delta]]);

    // Frozen inputs: who was applied with other inputs than simulated (the run's ListImpact, as persons answers it).
    const since = await a.client.listImpact({ runId, page: { pageSize: 100, pageToken: '' }, changedSinceSimulation: true }, clerk);
    expect(since.impacts.map((i) => [i.personId, i.simulated, i.changedSinceSimulation]).sort()).toEqual([[ids.allAlong, true, true], [ids.registeredSince, false, true]].sort());
    expect(since).toEqual(await stack.client.listAdjustmentImpact({ runId: done.attemptId, page: { pageSize: 100, pageToken: '' }, changedSinceSimulation: true }, clerk));
    expect(since.impacts.find((i) => i.personId === ids.allAlong)).toMatchObject({ applied: true, appliedBackPay: { fen: 2n * delta }, backPay: { fen: 2n * delta } });

    // Payroll P pays the new rate and the back pay.
    const p = (await payroll('2022-10')).payroll!;
    expect(p).toMatchObject({ backPay: { fen: 7n * delta }, oneOff: { fen: 6n * delta } });
    // One BenefitChanged per person reached, with the run's source.
    const events = await stack.persons.pool.query<{ n: number }>("SELECT count(DISTINCT aggregate_id)::int AS n FROM outbox WHERE event_type = 'youfu.persons.v1.BenefitChanged' AND position(convert_to($1, 'UTF8') in payload) > 0", [`adjustment:${versionId}`]);
    expect(events.rows[0]!.n).toBeGreaterThanOrEqual(5);
    const completed = await a.svc.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE event_type = 'youfu.adjustment.v1.AdjustmentCompleted' AND aggregate_id = $1", [runId]);
    expect(completed.rows[0]!.n).toBe(1);
  });

  it('writes nothing when the apply runs again (markers)', async () => {
    const before = await lines(`adjustment:${versionId}`);
    const { adjustment } = await a.client.getAdjustment({ runId }, clerk);
    const temporal = await temporalClient();
    try {
      const again = await temporal.workflow.execute('adjustmentApply', {
        taskQueue: a.workflowsQueue,
        workflowId: uniqueId('apply-again'),
        args: [{ changeId: adjustment!.applyChangeId, regionCode: '', personsQueue: a.personsQueue, pageSize: 2 }],
      });
      expect(again).toMatchObject({ persons: 0, backPayFen: '0', done: true });
    } finally {
      await temporal.connection.close();
    }
    expect(await lines(`adjustment:${versionId}`)).toEqual(before);
    await eventually(async () => ((await a.client.getAdjustment({ runId }, clerk)).adjustment!.phase === Phase.PHASE_COMPLETED ? true : undefined));
  });

  it('survives SIGKILL of the workflows worker mid-apply: a restarted worker finishes it, one line per (person, benefit, month), the simulated totals', async () => {
    // More persons, one per page: the apply takes long enough to be killed in the middle.
    const more = await importPersons(stack.address, clerk, uniqueId('more'), importRecords(40, { seed: 99 }).records);
    await stack.client.approveChange({ changeId: more.summary!.change!.changeId, note: '' }, approver);
    const queue = uniqueId('workflows-kill');
    const svc = await startService(adjustmentModule, {
      env: { ...a.env, YOUFU_WORKFLOWS_QUEUE: queue, YOUFU_ACTIVITY_QUEUE: uniqueId('adjustment-kill'), YOUFU_ADJUSTMENT_PARTITIONS: '1', YOUFU_ADJUSTMENT_PAGE_SIZE: '1' },
      clock,
    });
    const client = createUnaryClient(AnnualAdjustmentServiceService, `127.0.0.1:${svc.grpcPort}`);
    const spawnWorker = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', path.join(here, '../fixtures/adjustment-worker-main.ts')], { env: { ...process.env, ...a.env, WORKFLOWS_QUEUE: queue }, stdio: ['ignore', 'ignore', 'inherit'] });
    let worker = spawnWorker();
    try {
      const local = 'adjustment:2022:440100';
      const topUp = { key: { category: Category.CATEGORY_MARTYR_SURVIVOR, cause: 0, disabilityGrade: 0, enlistmentPeriod: 0, component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT }, rule: { $case: 'annualAmount' as const, value: { fen: 120_000n } } };
      await client.startAdjustment(
        { year: 2022, level: StandardLevel.STANDARD_LEVEL_LOCAL, regionCode: '440100', payrollMonth: { year: 2022, month: 11 }, source: { $case: 'rows', value: { title: 'Guangzhou top-up', documentNumber: '穗2022-1', effectiveFrom: pbDate('2022-08-01'), rows: [topUp] } } },
        clerk,
      );
      const simulated = await eventually(async () => ((await client.getAdjustment({ runId: local }, clerk)).adjustment!.phase === Phase.PHASE_AWAITING_APPROVAL ? (await client.getAdjustment({ runId: local }, clerk)).adjustment! : undefined), 120_000, 'simulated');
      await client.approveAdjustment({ runId: local, payrollMonth: { year: 2022, month: 11 }, note: '' }, approver);
      const marked = async () => (await stack.persons.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM adjustment_markers WHERE version_id = $1', [simulated.versionId])).rows[0]!.n;
      const atKill = await eventually(async () => ((await marked()) > 0 ? marked() : undefined), 60_000, 'the apply under way');
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGKILL');
      await exited;
      expect(atKill).toBeLessThan(Number(simulated.totals!.persons));
      worker = spawnWorker();
      const done = await eventually(async () => {
        const r = (await client.getAdjustment({ runId: local }, clerk)).adjustment!;
        return r.phase === Phase.PHASE_COMPLETED ? r : undefined;
      }, 120_000, 'completed after the restart');
      const l = await stack.persons.pool.query<{ n: number; keys: number; back_pay: string; funeral: string }>(
        `SELECT count(*)::int AS n, count(DISTINCT (person_id, benefit, month))::int AS keys,
                coalesce(sum(amount_fen) FILTER (WHERE kind = 'BACK_PAY'), 0)::text AS back_pay, coalesce(sum(amount_fen) FILTER (WHERE kind = 'ONE_OFF'), 0)::text AS funeral
           FROM adjustment_lines WHERE source = $1`,
        [`adjustment:${simulated.versionId}`],
      );
      expect(l.rows[0]!.n).toBe(l.rows[0]!.keys);
      expect(l.rows[0]!.n).toBeGreaterThan(0);
      expect(BigInt(l.rows[0]!.back_pay)).toBe(simulated.totals!.backPay!.fen);
      expect(BigInt(l.rows[0]!.funeral)).toBe(simulated.totals!.funeralTopUp!.fen);
      expect(done.applied).toMatchObject({ persons: simulated.totals!.persons, backPay: simulated.totals!.backPay, funeralTopUp: simulated.totals!.funeralTopUp });
      expect(await marked()).toBe(Number(simulated.totals!.persons));
    } finally {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
      client.close();
      await svc.stop();
    }
  }, 240_000);
});
