import * as grpc from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { MedicalSettlementServiceService, StatementStatus } from '../../protos/gen/youfu/settlement/v1/settlement';
import { createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { statementScheduleId } from '../../services/settlement/index';
import { previousPeriod } from '../../services/settlement/statements';
import { shanghaiDate } from '../../services/lib/civil';
import { idGenerator, movableClock, pbDate, startStack, survivor, type Stack } from '../persons/support';
import { eventually, freePort, token, uniqueId } from '../support/env';
import { failure } from '../support/grpc';
import { temporalClient } from '../support/temporal';
import { bill, designate, fen, registerPerson, settlementEnv, startSettlementStack, type SettlementStack } from './support';

const gen = idGenerator(9101);
const here = path.dirname(fileURLToPath(import.meta.url));
const since = { effectiveFrom: pbDate('2021-01-10') };
const code = (l: string) => `H${uniqueId(l).replace(/\W/g, '').slice(-10)}`;

describe('monthly statements', () => {
  const { clock, set } = movableClock('2026-07-20');
  let s: SettlementStack;
  let temporal: Client;
  let h: string;
  let other: string;
  const H = code('st');
  const O = code('so');
  const patient = gen();
  const month = (p: string) => ({ year: Number(p.slice(0, 4)), month: Number(p.slice(5, 7)) });
  const cutOff = (period: string) =>
    temporal.workflow.execute('statementCutOff', {
      taskQueue: s.workflowsQueue,
      workflowId: uniqueId('cutoff'),
      args: [{ period, activityQueue: s.env.YOUFU_ACTIVITY_QUEUE }],
    }) as Promise<{ periods: string[]; prepared: { hospital: string; period: string; net: string }[] }>;

  beforeAll(async () => {
    s = await startSettlementStack('statements', clock);
    temporal = await temporalClient();
    h = await designate(s, H);
    other = await designate(s, O);
    await registerPerson(s, patient, { identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), ...since }] });
  }, 120_000);
  afterAll(async () => {
    await temporal?.connection.close();
    await s?.stop();
  });

  it('keeps the monthly cut-off schedule the service ensured at start', async () => {
    const d = await temporal.schedule.getHandle(statementScheduleId(s.persons.prefix)).describe();
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'statementCutOff', taskQueue: s.workflowsQueue });
    expect(d.spec.timezone).toBe('Asia/Shanghai');
  });

  it('cuts off a period: later settlements and reversals land in the open one; only an approver closes it', async () => {
    const settle = (billNo: string) => s.client.settle(bill(H, billNo, patient, { admissionDate: pbDate('2026-07-01'), dischargeDate: pbDate('2026-07-10') }), h);
    const a = await settle(uniqueId('a'));
    const b = await settle(uniqueId('b'));
    expect([a.period, b.period]).toEqual(['2026-07', '2026-07']);

    const run = await cutOff('2026-07');
    expect(run.prepared.find((p) => p.hospital === H)).toEqual({ hospital: H, period: '2026-07', net: String(a.result!.funds[0]!.amount!.fen + b.result!.funds[0]!.amount!.fen) });
    expect((await cutOff('2026-07')).prepared).toEqual([]); // idempotent

    // Still July: what commits now lands in August, the open period; so does the reversal of a July bill.
    const c = await settle(uniqueId('c'));
    expect(c.period).toBe('2026-08');
    const rev = await s.client.reverse({ hospitalCode: H, billNo: (await s.settlement.pool.query<{ bill_no: string }>('SELECT bill_no FROM settlements WHERE id = $1', [a.settlementId])).rows[0]!.bill_no, reason: 'cancelled' }, h);
    expect(rev.period).toBe('2026-08');

    const staff = await token('auditor', 'sun');
    const july = await s.client.getStatement({ hospitalCode: H, period: month('2026-07'), page: { pageSize: 1, pageToken: '' } }, staff);
    expect(july.statement).toMatchObject({ status: StatementStatus.STATEMENT_STATUS_PREPARED, settled: [{ fundCode: '610200', count: 2n }], reversed: [] });
    expect(july.entries).toHaveLength(1);
    const second = await s.client.getStatement({ hospitalCode: H, period: month('2026-07'), page: { pageSize: 1, pageToken: july.page!.nextPageToken } }, staff);
    expect([july.entries[0]!.settlementId, second.entries[0]!.settlementId].sort()).toEqual([a.settlementId, b.settlementId].sort());
    expect(second.page!.nextPageToken).toBe('');

    const august = await s.client.getStatement({ hospitalCode: H, period: month('2026-08'), page: undefined }, h);
    expect(august.statement).toMatchObject({ status: StatementStatus.STATEMENT_STATUS_OPEN, netAmount: fen(c.result!.funds[0]!.amount!.fen - a.result!.funds[0]!.amount!.fen) });
    expect(august.entries.map((e) => e.kind).sort()).toEqual(['REVERSED', 'SETTLED']);
    expect(await failure(s.client.getStatement({ hospitalCode: H, period: month('2026-08'), page: undefined }, other))).toMatchObject({ reason: 'HOSPITAL_MISMATCH' });

    const clerk = await token('clerk', 'li');
    const approver = await token('approver', 'wang');
    expect(await failure(s.client.approveStatement({ hospitalCode: H, period: month('2026-07'), note: '' }, clerk))).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect(await failure(s.client.approveStatement({ hospitalCode: H, period: month('2026-08'), note: '' }, approver))).toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      reason: 'STATEMENT_NOT_PREPARED',
    });
    const closed = await s.client.approveStatement({ hospitalCode: H, period: month('2026-07'), note: 'paid by transfer 88' }, approver);
    expect(closed.statement).toMatchObject({ status: StatementStatus.STATEMENT_STATUS_CLOSED, closedBy: 'wang', netAmount: july.statement!.netAmount });
    expect(await s.client.approveStatement({ hospitalCode: H, period: month('2026-07'), note: 'again' }, approver)).toEqual(closed);
    const events = await s.settlement.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE event_type = 'youfu.settlement.v1.StatementClosed' AND aggregate_id = $1", [`${H}:2026-07`]);
    expect(events.rows[0]!.n).toBe(1);
  });

  it('cuts off, when the schedule passes no period, the month before the run and every earlier one left open', async () => {
    // The run's start is real time (Temporal's), so the service's clock is set to today for this one.
    set(shanghaiDate(new Date()));
    try {
      const run = await cutOff('');
      expect(run.periods.at(-1)).toBe(previousPeriod(new Date()));
      expect(run.periods).toContain('2026-08'); // August was left open (settlement C, the reversal)
      expect(run.prepared).toEqual(expect.arrayContaining([expect.objectContaining({ hospital: H, period: '2026-08' })]));
      const august = await s.client.getStatement({ hospitalCode: H, period: month('2026-08'), page: undefined }, await token('auditor', 'sun'));
      expect(august.statement!.status).toBe(StatementStatus.STATEMENT_STATUS_PREPARED);
      expect((await cutOff('')).prepared).toEqual([]);
    } finally {
      set('2026-07-20');
    }
  });
});

describe('a settlement whose service is killed mid-way', () => {
  const { clock } = movableClock('2026-06-20');
  let persons: Stack;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let client: UnaryClient<typeof MedicalSettlementServiceService>;
  let direct: pg.Pool;
  let child: ChildProcess | undefined;

  // The settlement service as its own process (it runs the settlement workflow and its local activities).
  const spawnService = async () => {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(here, '../../services/settlement/main.ts')], {
      env: { ...process.env, ...env, YOUFU_GRPC_PORT: String(port), YOUFU_METRICS_PORT: '0', YOUFU_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const clerk = await token('clerk', 'li');
    await eventually(async () => (await client.listProposals({ status: '', page: undefined }, clerk).then(() => true, () => undefined)), 60_000, 'the settlement service');
  };
  const kill = async (signal: NodeJS.Signals) => {
    const c = child!;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
    child = undefined;
  };

  beforeAll(async () => {
    persons = await startStack('settlement-kill', clock);
    env = settlementEnv(persons, { YOUFU_STATEMENT_CRON: '' });
    port = await freePort();
    client = createUnaryClient(MedicalSettlementServiceService, `127.0.0.1:${port}`);
    direct = new pg.Pool({ connectionString: persons.db.adminUrl, options: '-c search_path=settlement', max: 2 });
    await spawnService();
  }, 120_000);
  afterAll(async () => {
    if (child) await kill('SIGTERM');
    client?.close();
    await direct?.end();
    await persons?.stop();
  });

  it('completes exactly once after a restart, and a re-send gets the same answer', async () => {
    const H = code('k');
    const h = await designate({ client }, H);
    const g = gen();
    await registerPerson({ persons }, g, { identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), ...since }] });
    const b = bill(H, uniqueId('kill'), g);
    const lost = client.settle(b, h, { deadlineMs: 60_000 }).then(() => 'answered', (e: { code?: number }) => e.code);
    // Killed as soon as the attempt is stored: the workflow is starting, its steps may or may not have run.
    await eventually(async () => ((await direct.query('SELECT 1 FROM settlement_requests WHERE bill_no = $1', [b.bill.billNo])).rowCount ? true : undefined), 30_000, 'the attempt');
    await kill('SIGKILL');
    expect([grpc.status.UNAVAILABLE, 'answered']).toContain(await lost);
    await spawnService();
    // The hospital retries: the running workflow is joined (or the stored answer returned).
    const first = await client.settle(b, h, { deadlineMs: 60_000 });
    expect(first.result!.funds[0]).toMatchObject({ fundCode: '610200', amount: fen(320_000) });
    expect(await client.settle(b, h)).toEqual(first);
    const n = await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM settlements WHERE bill_no = $1', [b.bill.billNo]);
    expect(n.rows[0]!.n).toBe(1);
    const used = await direct.query<{ used_fen: bigint }>('SELECT used_fen FROM caps');
    expect(used.rows.map((r) => r.used_fen)).toEqual([320_000n]);
  }, 150_000);
});
