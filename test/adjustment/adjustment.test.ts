import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnualAdjustmentServiceService, Phase } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { RowComponent, StandardLevel, SubsidyStandardServiceService, VersionStatus } from '../../protos/gen/youfu/standards/v1/standards';
import { dueScheduleId } from '../../services/adjustment/index';
import { recordApprovalOverdue, recordDue } from '../../services/adjustment/store';
import { shanghaiDate } from '../../services/lib/civil';
import type { UnaryClient } from '../../services/lib/grpc';
import type { RunningService } from '../../services/lib/runtime';
import { seedFileVersions } from '../../services/standards/seed';
import { rowToProto } from '../../services/standards/wire';
import { idGenerator, movableClock, pbDate, registration, survivor, type Stack } from '../persons/support';
import { token, uniqueId } from '../support/env';
import { failure } from '../support/grpc';
import { temporalClient } from '../support/temporal';
import { startAdjustmentStack, type AdjustmentStack } from './support';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

/** A year's adjustment through AnnualAdjustmentService: start → simulation → approval (publication) or rejection (discard). */
describe('annual adjustment runs', () => {
  const { clock, set } = movableClock('2022-07-15');
  let a: AdjustmentStack;
  let stack: Stack;
  let svc: RunningService;
  let client: UnaryClient<typeof AnnualAdjustmentServiceService>;
  let standards: UnaryClient<typeof SubsidyStandardServiceService>;
  let personsQueue: string;
  let workflowsQueue: string;
  let adjustmentQueue: string;
  const gen = idGenerator(5151);
  let clerk: string;
  let approver: string;

  const phase = (runId: string, want: Phase) => a.phase(runId, want, clerk);

  beforeAll(async () => {
    // The schedule's id carries the run's topic prefix; stop() deletes it.
    a = await startAdjustmentStack('adjustment', clock, { YOUFU_ADJUSTMENT_DUE_CRON: '0 9 1 8 *' });
    ({ stack, svc, client, standards, personsQueue, workflowsQueue, adjustmentQueue } = a);
    [clerk, approver] = await Promise.all([token('clerk', 'li'), token('approver', 'wang')]);
    for (let i = 0; i < 3; i++) {
      const p = await stack.client.proposeRegistration({ origin: '', person: registration(gen(), { approvalDate: pbDate('2021-09-01'), identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), effectiveFrom: pbDate('2021-09-01') }] }) }, clerk);
      await stack.client.approveChange({ changeId: p.change!.changeId, note: '' }, approver);
    }
    set('2022-09-20');
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
  });

  it('drafts the new rows for the clerk, simulates, and publishes them on the approver’s own approval', async () => {
    const rows = seedFileVersions().find((v) => v.effectiveFrom === '2022-08-01')!.rows.map(rowToProto);
    const start = {
      year: 2022,
      level: StandardLevel.STANDARD_LEVEL_NATIONAL,
      regionCode: '',
      payrollMonth: { year: 2022, month: 10 },
      source: { $case: 'rows' as const, value: { title: '2022 national standards', documentNumber: '退役军人部发〔2022〕68号', effectiveFrom: pbDate('2022-08-01'), rows } },
    };
    const started = await client.startAdjustment(start, clerk);
    expect(started).toMatchObject({ started: true, adjustment: { runId: 'adjustment:2022:national', startedBy: 'li' } });
    const again = await client.startAdjustment(start, clerk);
    expect(again).toMatchObject({ started: false, adjustment: { versionId: started.adjustment!.versionId } });
    const draft = (await standards.getVersion({ versionId: started.adjustment!.versionId }, clerk)).version!;
    expect(draft).toMatchObject({ status: VersionStatus.VERSION_STATUS_DRAFT, createdBy: 'li', rowCount: 47 });

    const simulated = await phase('adjustment:2022:national', Phase.PHASE_AWAITING_APPROVAL);
    expect(simulated.personsDone).toBe(3n);
    expect(simulated.totals).toMatchObject({ persons: 3n, personsAffected: 3n });
    expect(simulated.totals!.backPay!.fen).toBeGreaterThan(0n);

    expect(await failure(client.approveAdjustment({ runId: 'adjustment:2022:national', payrollMonth: { year: 2022, month: 10 }, note: '' }, await token('approver', 'li')))).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      reason: 'OWN_PROPOSAL',
    });
    expect(await failure(client.approveAdjustment({ runId: 'adjustment:2022:national', payrollMonth: { year: 2022, month: 11 }, note: '' }, approver))).toMatchObject({ reason: 'PAYROLL_MONTH_CHANGED' });
    const approved = await client.approveAdjustment({ runId: 'adjustment:2022:national', payrollMonth: { year: 2022, month: 10 }, note: 'notice 68' }, approver);
    expect(approved.adjustment).toMatchObject({ phase: Phase.PHASE_PUBLISHED, decidedBy: 'wang' });
    const published = (await standards.getVersion({ versionId: started.adjustment!.versionId }, clerk)).version!;
    expect(published).toMatchObject({ status: VersionStatus.VERSION_STATUS_PUBLISHED, approvedBy: 'wang', publishedBy: 'wang' });
    // No payroll has run yet: nothing to wait for, the apply follows.
    expect((await phase('adjustment:2022:national', Phase.PHASE_COMPLETED)).applied).toMatchObject({ persons: 3n, personsChanged: 3n });
    expect(await failure(client.approveAdjustment({ runId: 'adjustment:2022:national', payrollMonth: { year: 2022, month: 10 }, note: '' }, approver))).toMatchObject({
      reason: 'ADJUSTMENT_NOT_AWAITING_APPROVAL',
    });
  });

  it('refuses an approval of a draft edited after the simulation, and a rejection discards the draft; then a new run may start', async () => {
    const martyr = (fen: bigint) => ({ key: { category: Category.CATEGORY_MARTYR_SURVIVOR, cause: 0, disabilityGrade: 0, enlistmentPeriod: 0, component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT }, rule: { $case: 'annualAmount' as const, value: { fen } } });
    const start = {
      year: 2022,
      level: StandardLevel.STANDARD_LEVEL_LOCAL,
      regionCode: '440100',
      payrollMonth: { year: 2022, month: 10 },
      source: { $case: 'rows' as const, value: { title: 'Guangzhou top-up 2022', documentNumber: '穗退役军人〔2022〕9号', effectiveFrom: pbDate('2022-08-01'), rows: [martyr(120_000n)] } },
    };
    const runId = 'adjustment:2022:440100';
    const started = await client.startAdjustment(start, clerk);
    await phase(runId, Phase.PHASE_AWAITING_APPROVAL);
    // The clerk edits the draft after it was costed.
    const v = (await standards.getVersion({ versionId: started.adjustment!.versionId }, clerk)).version!;
    await standards.upsertDraftRows({ versionId: v.id, expectedRevision: v.revision, rows: [martyr(150_000n)] }, clerk);
    expect(await failure(client.approveAdjustment({ runId, payrollMonth: { year: 2022, month: 10 }, note: '' }, approver))).toMatchObject({ code: grpc.status.ABORTED, reason: 'SIMULATION_STALE' });

    const rejected = await client.rejectAdjustment({ runId, reason: 'amount under review' }, approver);
    expect(rejected.adjustment).toMatchObject({ phase: Phase.PHASE_REJECTED, decisionNote: 'amount under review' });
    expect((await standards.getVersion({ versionId: v.id }, clerk)).version).toMatchObject({ status: VersionStatus.VERSION_STATUS_DISCARDED, discardedBy: 'wang' });

    const restarted = await client.startAdjustment({ ...start, source: { $case: 'rows', value: { ...start.source.value, rows: [martyr(150_000n)] } } }, clerk);
    expect(restarted.started).toBe(true);
    expect(restarted.adjustment!.versionId).not.toBe(v.id);
    await phase(runId, Phase.PHASE_AWAITING_APPROVAL);
    const { adjustments } = await client.listAdjustments({ page: undefined }, approver);
    expect(adjustments.map((a) => [a.runId, Phase[a.phase]])).toEqual([
      [runId, 'PHASE_AWAITING_APPROVAL'],
      [runId, 'PHASE_REJECTED'],
      ['adjustment:2022:national', 'PHASE_COMPLETED'],
    ]);
  });
  it('pauses and resumes a run, cancels one before publication (discarding its draft), never after', async () => {
    const martyr = { key: { category: Category.CATEGORY_MARTYR_SURVIVOR, cause: 0, disabilityGrade: 0, enlistmentPeriod: 0, component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT }, rule: { $case: 'annualAmount' as const, value: { fen: 90_000n } } };
    const runId = 'adjustment:2022:440300';
    const started = await client.startAdjustment(
      { year: 2022, level: StandardLevel.STANDARD_LEVEL_LOCAL, regionCode: '440300', payrollMonth: { year: 2022, month: 10 }, source: { $case: 'rows', value: { title: 'Shenzhen 2022', documentNumber: '深2022', effectiveFrom: pbDate('2022-08-01'), rows: [martyr] } } },
      clerk,
    );
    const waiting = await phase(runId, Phase.PHASE_AWAITING_APPROVAL);
    // The reminder's step (its timer is tested in workflows/adjustment/reminder.test.ts): once per attempt.
    await recordApprovalOverdue(svc.pool, waiting.attemptId);
    await recordApprovalOverdue(svc.pool, waiting.attemptId);
    const overdue = (await client.listPendingItems({ includeResolved: false, page: undefined }, clerk)).items.filter((i) => i.kind === 'APPROVAL_OVERDUE');
    expect(overdue).toEqual([expect.objectContaining({ subject: waiting.attemptId, description: expect.stringContaining(runId) })]);
    const events = await svc.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE event_type = 'youfu.adjustment.v1.AdjustmentApprovalOverdue' AND aggregate_id = $1", [runId]);
    expect(events.rows[0]!.n).toBe(1);
    expect((await client.pauseAdjustment({ runId }, clerk)).adjustment!.paused).toBe(true);
    expect((await client.resumeAdjustment({ runId }, approver)).adjustment!.paused).toBe(false);
    const cancelled = await client.cancelAdjustment({ runId, reason: 'notice withdrawn' }, clerk);
    expect(cancelled.adjustment).toMatchObject({ phase: Phase.PHASE_CANCELLED, decidedBy: 'li' });
    expect((await standards.getVersion({ versionId: started.adjustment!.versionId }, clerk)).version!.status).toBe(VersionStatus.VERSION_STATUS_DISCARDED);
    // The decision resolved the reminder.
    const all = await client.listPendingItems({ includeResolved: true, page: undefined }, clerk);
    expect(all.items.find((i) => i.subject === waiting.attemptId)).toMatchObject({ resolvedByRun: runId });
    expect(await failure(client.cancelAdjustment({ runId, reason: 'again' }, clerk))).toMatchObject({ reason: 'ADJUSTMENT_ENDED' });
    expect(await failure(client.cancelAdjustment({ runId: 'adjustment:2022:national', reason: 'too late' }, clerk))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'ALREADY_PUBLISHED' });
    expect(await failure(client.pauseAdjustment({ runId: 'adjustment:2022:national' }, await token('auditor', 'sun')))).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
  });

  it('holds a paused simulation before its next page and finishes it once resumed', async () => {
    const temporal = await temporalClient();
    try {
      const { version } = await standards.createDraft({ title: 'Foshan 2022', documentNumber: '佛2022', source: 'test', level: StandardLevel.STANDARD_LEVEL_LOCAL, regionCode: '440600', effectiveFrom: pbDate('2022-08-01'), baseVersionId: '' }, clerk);
      const v = { versionId: version!.id };
      const runId = `simulation-paused-${uniqueId('x')}`;
      const handle = await temporal.workflow.start('adjustmentSimulation', {
        taskQueue: workflowsQueue,
        workflowId: runId,
        args: [{ runId, candidateVersionId: v.versionId, effectiveFrom: '2022-08-01', payrollMonth: '2022-10', regionCode: '', personsQueue, paused: true }],
      });
      // Its first task has run (the query answers) and it holds: no page simulated, no activity scheduled.
      expect(await handle.query('progress')).toEqual({ persons: 0, backPayFen: '0', done: false });
      expect((await handle.fetchHistory()).events!.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
      await handle.signal('paused', false);
      expect(await handle.result()).toMatchObject({ persons: 3, done: true });
    } finally {
      await temporal.connection.close();
    }
  });
  it('is driven by the staff CLI over the same API (status, impact table, a refusal)', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', path.join(here, '../../services/adjustment/cli.ts'), ...args], {
        env: { ...process.env, YOUFU_TOKEN: clerk, YOUFU_ADJUSTMENT_ADDR: `127.0.0.1:${svc.grpcPort}`, YOUFU_PERSONS_ADDR: stack.address },
      }).then(({ stdout }) => stdout, (e: { stdout: string; stderr: string; code: number }) => ({ code: e.code, stderr: e.stderr }));
    const status = await cli('status', 'adjustment:2022:national');
    expect(status).toContain('adjustment:2022:national  COMPLETED');
    expect(status).toContain('3 persons, 3 affected');
    const impact = await cli('impact', 'adjustment:2022:national');
    expect(impact).toContain('by category');
    expect(impact).toMatch(/MARTYR_SURVIVOR\s+3\s+3/);
    expect(await cli('approve', 'adjustment:2022:national', '--payroll', '2022-10')).toMatchObject({ code: 2, stderr: expect.stringContaining('refused: role clerk may not call') });
  });
  it('records every 1 August that the year is due (schedule, pending item, AdjustmentDue) once; a national run of the year resolves it', async () => {
    const temporal = await temporalClient();
    try {
      const d = await temporal.schedule.getHandle(dueScheduleId(stack.prefix)).describe();
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'adjustmentDue', taskQueue: workflowsQueue });
      // The schedule's workflow, run directly (its year is the run's start's).
      const due = () => temporal.workflow.execute('adjustmentDue', { taskQueue: workflowsQueue, workflowId: uniqueId('due'), args: [{ adjustmentQueue }] }) as Promise<{ year: number; fresh: boolean }>;
      const first = await due();
      expect(first).toMatchObject({ year: Number(shanghaiDate(new Date()).slice(0, 4)), fresh: true });
      expect((await due()).fresh).toBe(false);
      const events = await svc.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE event_type = 'youfu.adjustment.v1.AdjustmentDue' AND aggregate_id = $1", [`due:${first.year}`]);
      expect(events.rows[0]!.n).toBe(1);
      const { items } = await client.listPendingItems({ includeResolved: false, page: undefined }, clerk);
      expect(items).toEqual([expect.objectContaining({ kind: 'ADJUSTMENT_DUE', subject: String(first.year), resolvedByRun: '' })]);
    } finally {
      await temporal.connection.close();
    }
    // 2023 falls due; its national run resolves the item.
    await recordDue(svc.pool, 2023, new Date('2023-08-01T01:00:00Z'));
    const rows = seedFileVersions().find((v) => v.effectiveFrom === '2022-08-01')!.rows.map(rowToProto);
    await client.startAdjustment(
      { year: 2023, level: StandardLevel.STANDARD_LEVEL_NATIONAL, regionCode: '', payrollMonth: { year: 2023, month: 10 }, source: { $case: 'rows', value: { title: '2023', documentNumber: '2023', effectiveFrom: pbDate('2023-08-01'), rows } } },
      clerk,
    );
    const all = await client.listPendingItems({ includeResolved: true, page: undefined }, clerk);
    expect(all.items.find((i) => i.subject === '2023')).toMatchObject({ resolvedByRun: 'adjustment:2023:national' });
    expect((await client.listPendingItems({ includeResolved: false, page: undefined }, clerk)).items.map((i) => i.subject)).not.toContain('2023');
  });
});
