/**
 * The case workflow's deadlines over days and months, in Temporal's time-skipping test server (the
 * Java one, deploy/local/test-server.sh), with the service's real activities against the real
 * database: day 60 stands, day 61 lapses (00:00 Asia/Shanghai), a justified reason stops the lapse,
 * the 6-month placement and the 30-day onboarding flags. The reporting-day rules themselves are
 * table-tested in services/resettlement/domain/rules.test.ts; test/resettlement/lifecycle.test.ts
 * runs the API on the dev server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RankType } from '../../protos/gen/youfu/resettlement/v1/resettlement';
import { toProtoDate } from '../../services/lib/proto';
import { addDays, addMonths, shanghaiDate, type CivilDate } from '../../services/lib/civil';
import { createPool, DEV_PG_PASSWORD, migrateService, serviceUrl, withTx, type Pool } from '../../services/lib/db';
import { decideSetting, proposeSetting } from '../../services/lib/settings';
import { createResettlementActivities } from '../../services/resettlement/activities';
import { reportingWindow } from '../../services/resettlement/domain/rules';
import { MINIMUM_WAGE_KEY, minimumWageValue, stepOf } from '../../services/resettlement/handlers';
import { resettlementModule } from '../../services/resettlement/index';
import * as store from '../../services/resettlement/store';
import { stepEvent } from '../../services/resettlement/store';
import { resettlementEvents as ev } from '../../services/lib/contracts';
import { eventually, freshDatabase } from '../support/env';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '../../deploy/local/test-server.sh');
const workflowsPath = path.join(here, '../../workflows/resettlement/workflow.ts');
const CLERK: store.Actor = { subject: 'officer-zhao', role: 'clerk', via: null };
const received: store.StepEvent = stepEvent(ev.caseReceived, (c) => ({ step: stepOf(c, CLERK), rankType: RankType.RANK_TYPE_NCO, dischargedOn: toProtoDate(c.discharged_on), reportBy: toProtoDate(c.report_by) }));

describe('resettlement deadlines (time-skipping server, real database)', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;
  let worker: Worker;
  let running: Promise<void>;
  const queue = `resettlement-deadlines-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    execFileSync('bash', [script, 'install'], { stdio: 'ignore' });
    Runtime.install({ logger: new DefaultLogger('WARN') });
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: script } } });
    db = await freshDatabase('resettlement_deadlines');
    await migrateService(db.adminUrl, 'resettlement', resettlementModule.migrations, DEV_PG_PASSWORD);
    pool = createPool(serviceUrl(db.adminUrl, 'resettlement', DEV_PG_PASSWORD), { schema: 'resettlement', application: 'deadlines-test' });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowsPath, activities: createResettlementActivities({ pool }) });
    running = worker.run();
  }, 180_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await pool?.end();
    await db?.drop();
  });

  /** The test server's today (it starts at the real time and skips ahead). */
  const today = async (): Promise<CivilDate> => shanghaiDate(new Date(await env.currentTimeMs()));

  /** A case whose discharge was approved on `approvedOn`, moved to a status by direct steps (as the API would). */
  async function newCase(approvedOn: CivilDate): Promise<store.CaseRow> {
    const w = reportingWindow(approvedOn);
    return store.insertCase(
      pool,
      {
        id: randomUUID(),
        id_hash: randomUUID(),
        id_enc: 'v1:test:x',
        id_masked: '440106********1234',
        name_enc: 'v1:test:x',
        gender: 'MALE',
        birth_date: '2003-05-14',
        service_branch: '陆军',
        rank_type: 'NCO',
        nco_level: 4,
        enlisted_on: addDays(approvedOn, -365 * 13),
        discharged_on: addDays(approvedOn, -3),
        discharge_approved_on: approvedOn,
        honours: [],
        disability: null,
        martyr_child: false,
        district: '440106',
        residence: 'URBAN',
        college_student: false,
        payee_bank: null,
        payee_account_enc: null,
        payee_account_masked: null,
        payee_name_enc: null,
        phone_enc: null,
        report_on_time_by: w.onTimeBy,
        report_by: w.reportBy,
        received_by: CLERK.subject,
        received_at: new Date(await env.currentTimeMs()),
      },
      CLERK,
      received,
    );
  }

  const move = (id: string, name: string, patch: store.CasePatch, from: store.CaseRow['status'][]) => store.step(pool, id, { name, from, actor: CLERK, at: new Date(), change: () => patch });
  const start = (id: string) => env.client.workflow.start('resettlementCase', { taskQueue: queue, workflowId: `resettlement-case:${id}`, args: [{ caseId: id }] });
  const statusOf = async (id: string) => (await store.mustCase(pool, id)).status;
  const stepsOf = async (id: string) => (await store.stepsOf(pool, id)).map((s) => `${s.step}:${s.actor}`);
  const eventsOf = async (id: string) => (await pool.query<{ t: string }>('SELECT event_type AS t FROM outbox WHERE aggregate_id = $1 ORDER BY seq', [id])).rows.map((r) => r.t.split('.').at(-1));

  it('day 60 stands unreported; at 00:00 of day 61 the case lapses by itself', async () => {
    const c = await newCase(await today());
    const h = await start(c.id);
    await env.sleep('60 days');
    expect(await statusOf(c.id)).toBe('RECEIVED');
    await env.sleep('1 day');
    await eventually(async () => ((await statusOf(c.id)) === 'LAPSED' ? true : undefined), 20_000, 'the lapse');
    await h.result(); // the workflow ends with the case
    expect(await stepsOf(c.id)).toEqual(['RECEIVE:officer-zhao', 'LAPSE:system']);
    expect(await eventsOf(c.id)).toEqual(['CaseReceived', 'CaseLapsed']);
    const lapse = await pool.query<{ at: Date }>("SELECT at FROM case_steps WHERE case_id = $1 AND step = 'LAPSE'", [c.id]);
    expect(lapse.rows[0]!.at.toISOString()).toBe(reportingWindow(c.discharge_approved_on).lapsesAt.toISOString());
  });

  it('a report on day 60 stands: no lapse afterwards', async () => {
    const approved = await today();
    const c = await newCase(approved);
    const h = await start(c.id);
    await env.sleep('60 days');
    await move(c.id, 'RECORD_REPORT', { status: 'REPORTED', reported_on: addDays(approved, 60), reporting: 'LATE' }, ['RECEIVED']);
    await h.signal('changed');
    await env.sleep('10 days');
    expect(await statusOf(c.id)).toBe('REPORTED');
    expect(await stepsOf(c.id)).toEqual(['RECEIVE:officer-zhao', 'RECORD_REPORT:officer-zhao']);
    await h.terminate('test over');
  });

  it('a justified reason recorded in time stops the lapse', async () => {
    const c = await newCase(await today());
    const h = await start(c.id);
    await env.sleep('45 days');
    await move(c.id, 'RECORD_LATE_REASON', { late_reason: 'in hospital' }, ['RECEIVED']);
    await h.signal('changed');
    await env.sleep('30 days');
    expect(await statusOf(c.id)).toBe('RECEIVED');
    await h.terminate('test over');
  });

  it('assigned work not placed within 6 months of reporting is flagged once (DeadlineMissed), and the case goes on', async () => {
    const reported = await today();
    const c = await newCase(addDays(reported, -5));
    await move(c.id, 'RECORD_REPORT', { status: 'REPORTED', reported_on: reported, reporting: 'ON_TIME' }, ['RECEIVED']);
    await move(c.id, 'CHOOSE_PLACEMENT', { status: 'PLACEMENT_CHOSEN', mode: 'ASSIGNED_WORK' }, ['REPORTED']);
    const h = await start(c.id);
    await env.sleep('180 days');
    expect((await store.mustCase(pool, c.id)).missed).toEqual([]);
    await env.sleep('5 days');
    await eventually(async () => ((await store.mustCase(pool, c.id)).missed.includes('PLACEMENT') ? true : undefined), 20_000, 'the placement flag');
    await env.sleep('30 days');
    const after = await store.mustCase(pool, c.id);
    expect([after.status, after.missed]).toEqual(['PLACEMENT_CHOSEN', ['PLACEMENT']]);
    expect((await eventsOf(c.id)).filter((t) => t === 'DeadlineMissed')).toHaveLength(1);
    await h.terminate('test over');
  });

  it('the waiting allowance: a line per month waited, at the minimum wage, from the month of reporting to the month before onboarding', async () => {
    const reported = await today();
    const month0 = reported.slice(0, 7);
    // The minimum wage from the start of the month of reporting: a clerk proposes, an approver decides.
    await withTx(pool, async (tx) => {
      const p = await proposeSetting(tx, { key: MINIMUM_WAGE_KEY, schema: minimumWageValue, value: { monthlyFen: 230_000n }, effectiveFrom: `${month0}-01`, caller: { subject: 'officer-zhao', role: 'clerk' }, note: 'notice' });
      await decideSetting(tx, p.id, { decision: 'APPROVED', caller: { subject: 'chief-sun', role: 'approver' } });
    });
    const c = await newCase(addDays(reported, -5));
    await move(c.id, 'RECORD_REPORT', { status: 'REPORTED', reported_on: reported, reporting: 'ON_TIME' }, ['RECEIVED']);
    await move(c.id, 'CHOOSE_PLACEMENT', { status: 'PLACEMENT_CHOSEN', mode: 'ASSIGNED_WORK' }, ['REPORTED']);
    const h = await start(c.id);
    await env.sleep('70 days'); // two months have ended, perhaps a third
    const lines = await eventually(async () => {
      const a = (await store.mustCase(pool, c.id)).allowances;
      return a.length >= 2 ? a : undefined;
    }, 20_000, 'two months of allowance');
    expect(lines.slice(0, 2)).toEqual([
      { month: month0, amountFen: '230000' },
      { month: addMonths(month0, 1), amountFen: '230000' },
    ]);
    // Onboarded in the month after the last line: nothing more is owed, however long it runs.
    const onboarded = `${addMonths(lines.at(-1)!.month, 1)}-10`;
    await move(c.id, 'RECORD_JOB_OFFER', { status: 'JOB_OFFERED', job_offer: { employer: 'x', letterNumber: '2', referredOn: onboarded } }, ['PLACEMENT_CHOSEN']);
    await move(c.id, 'RECORD_ONBOARDING', { status: 'ONBOARDED', onboarded_on: onboarded }, ['JOB_OFFERED']);
    await h.signal('changed');
    await env.sleep('90 days');
    const after = await store.mustCase(pool, c.id);
    expect(after.allowances.map((a) => a.month)).toEqual(lines.map((a) => a.month));
    expect(after.allowances.every((a) => a.month < onboarded.slice(0, 7))).toBe(true);
    expect((await eventsOf(c.id)).filter((t) => t === 'WaitingAllowanceRecorded')).toHaveLength(lines.length);
    await h.terminate('test over');
  });

  it('a college-student veteran’s 2-year window to resume study is flagged when it closes unused', async () => {
    const c = await newCase(await today());
    await pool.query('UPDATE cases SET college_student = true WHERE id = $1', [c.id]);
    await move(c.id, 'RECORD_REPORT', { status: 'REPORTED', reported_on: await today(), reporting: 'ON_TIME' }, ['RECEIVED']);
    await move(c.id, 'CLOSE', { status: 'CLOSED', closing_note: 'self-employed' }, ['REPORTED']);
    const h = await start(c.id);
    await env.sleep('720 days');
    expect((await store.mustCase(pool, c.id)).missed).toEqual([]);
    await env.sleep('20 days');
    await eventually(async () => ((await store.mustCase(pool, c.id)).missed.includes('STUDY_WINDOW') ? true : undefined), 20_000, 'the study window flag');
    await h.result(); // closed and waiting on nothing: the workflow ends
  });

  it('an employer that has not taken the person on 30 days after the referral is flagged', async () => {
    const referred = await today();
    const c = await newCase(addDays(referred, -20));
    await move(c.id, 'RECORD_REPORT', { status: 'REPORTED', reported_on: addDays(referred, -15), reporting: 'ON_TIME' }, ['RECEIVED']);
    await move(c.id, 'CHOOSE_PLACEMENT', { status: 'PLACEMENT_CHOSEN', mode: 'ASSIGNED_WORK' }, ['REPORTED']);
    await move(c.id, 'RECORD_JOB_OFFER', { status: 'JOB_OFFERED', job_offer: { employer: 'x', letterNumber: '1', referredOn: referred } }, ['PLACEMENT_CHOSEN']);
    const h = await start(c.id);
    await env.sleep('30 days');
    expect((await store.mustCase(pool, c.id)).missed).toEqual([]);
    await env.sleep('2 days');
    await eventually(async () => ((await store.mustCase(pool, c.id)).missed.includes('ONBOARDING') ? true : undefined), 20_000, 'the onboarding flag');
    await move(c.id, 'RECORD_ONBOARDING', { status: 'ONBOARDED', onboarded_on: addDays(referred, 33) }, ['JOB_OFFERED']);
    await h.signal('changed');
    await move(c.id, 'CLOSE', { status: 'CLOSED', closing_note: 'taken on late' }, ['ONBOARDED']);
    await h.signal('changed');
    await h.result(); // closed: the workflow ends
  });
});
