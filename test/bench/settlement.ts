/**
 * One-stop settlement on the local stack: latency (p50 / p95 / p99) and throughput of Settle through
 * the gRPC API at 1, 8 and 32 concurrent hospitals (each sends its bills one after another), beside
 * two floors measured in the same run:
 *   (a) the same rules without Temporal: the attempt stored, persons' CheckEligibility, the rule
 *       lookup and the cap-locking commit transaction, called directly;
 *   (b) a bare update-with-start: a trivial workflow answering one update, no activities.
 * Then the time per step of the workflow, from the histories of some settlements. The settlement
 * service runs the workflow itself with its two steps as local activities: one workflow task.
 *   npx tsx test/bench/settlement.ts [--bills 100] [--json]
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WithStartWorkflowOperation, type Client, type Workflow } from '@temporalio/client';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { serviceSigner } from '../../services/lib/auth';
import { serviceClient } from '../../services/lib/clients';
import { devPrivateKey } from '../../services/lib/keys';
import { PiiVault } from '../../services/lib/pii';
import { commitSettlement, eligibilityOf, insertRequest, ruleFor, ruleJson, type CoreDeps } from '../../services/settlement/core';
import { uncappedSubsidy } from '../../services/settlement/domain/rules';
import { contentHash, parseBill, storedBill } from '../../services/settlement/schemas';
import { startWorkflowsWorker } from '../../workflows/worker';
import { idGenerator, movableClock, pbDate, survivor, type GeneratedId } from '../persons/support';
import { bill, designate, registerPerson, startSettlementStack } from '../settlement/support';
import { temporalClient } from '../support/temporal';
import { uniqueId } from '../support/env';

const { values } = parseArgs({ options: { bills: { type: 'string', default: '100' }, json: { type: 'boolean', default: false } } });
const BILLS = Number(values.bills); // per level: split across the callers
const LEVELS = [1, 8, 32];
const here = path.dirname(fileURLToPath(import.meta.url));
const { clock } = movableClock('2026-06-20');
const gen = idGenerator(77);

interface Row {
  path: string;
  callers: number;
  calls: number;
  perSec: number;
  p50: number;
  p95: number;
  p99: number;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** `callers` concurrent callers each running `per` calls of `call(caller, i)` one after another. */
async function measure(name: string, callers: number, per: number, call: (caller: number, i: number) => Promise<unknown>): Promise<Row> {
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      for (let i = 0; i < per; i++) {
        const t = performance.now();
        await call(c, i);
        lat.push(performance.now() - t);
      }
    }),
  );
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  return { path: name, callers, calls: lat.length, perSec: (lat.length / total) * 1000, p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99) };
}

const s = await startSettlementStack('bench_settlement', clock);
let temporal: Client | undefined;
let bare: { stop(): Promise<void> } | undefined;
try {
  process.stderr.write('setting up: 32 hospitals, 64 patients…\n');
  const hospitals = await Promise.all(Array.from({ length: 32 }, async (_, i) => ({ code: `B${String(i).padStart(3, '0')}${uniqueId('').slice(-4)}`.replace(/\W/g, '') })));
  const tokens = await Promise.all(hospitals.map((h) => designate(s, h.code)));
  const patients: GeneratedId[] = Array.from({ length: 64 }, () => gen());
  for (const p of patients) await registerPerson(s, p, { identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), effectiveFrom: pbDate('2021-01-10') }] });
  const patientOf = (caller: number, i: number) => patients[(caller * 7 + i) % patients.length]!;

  // (a): the same code without Temporal.
  const persons = serviceClient(EntitledPersonServiceService, { address: s.persons.address, signer: serviceSigner('settlement', await devPrivateKey('service:settlement')) });
  const core: CoreDeps = { pool: s.settlement.pool, pii: PiiVault.fromConfig(`dev:${Buffer.alloc(32, 9).toString('base64')}`, Buffer.alloc(32, 11).toString('base64')), clock, persons };
  const direct = async (caller: number, i: number) => {
    const h = hospitals[caller]!.code;
    const b = parseBill(bill(h, `a-${randomUUID()}`, patientOf(caller, i)).bill, clock.today());
    const id = (await insertRequest(core.pool, core.pii, { hospital: h, billNo: b.billNo, hash: contentHash(b, core.pii), bill: storedBill(b), nationalId: b.nationalId, name: b.name }))!;
    const e = await eligibilityOf(core, b.nationalId, b.name, b.dischargeDate);
    if (!e.ok) throw new Error(e.reason);
    const rule = await ruleFor(core.pool, e.held, b.visitType, b.dischargeDate);
    await commitSettlement(core, { requestId: id, personId: e.personId, masked: e.masked, rule: ruleJson(rule), uncapped: uncappedSubsidy(b, rule.ratioBp).toString() });
  };

  // (b): a bare update-with-start on the same server.
  temporal = await temporalClient();
  const bareQueue = uniqueId('bench-bare');
  bare = await startWorkflowsWorker({ taskQueue: bareQueue, workflowsPath: path.join(here, '../fixtures/workflows/index.ts'), env: s.env });
  const bareCall = async () => {
    const id = randomUUID();
    const start = new WithStartWorkflowOperation('bareUpdateWorkflow', { workflowId: `bench-bare:${id}`, taskQueue: bareQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
    await temporal!.workflow.executeUpdateWithStart<Workflow, string, [string]>('bare', { args: [id], startWorkflowOperation: start });
  };

  // The real thing: Settle through the gRPC API.
  const settle = (caller: number, i: number) =>
    s.client.settle(bill(hospitals[caller]!.code, `s-${randomUUID()}`, patientOf(caller, i)), tokens[caller]!, { deadlineMs: 60_000 });

  // Warm-up (connections, workflow code, prepared plans).
  await measure('warm-up', 4, 5, settle);
  await measure('warm-up', 4, 5, bareCall);
  await measure('warm-up', 4, 5, direct);

  const rows: Row[] = [];
  for (const n of LEVELS) {
    const per = Math.max(5, Math.ceil(BILLS / n));
    rows.push(await measure('(a) plain transaction', n, per, direct));
    rows.push(await measure('(b) bare update-with-start', n, per, bareCall));
    rows.push(await measure('Settle (gRPC → workflow)', n, per, settle));
  }

  // Time per step, from the histories of 20 settlements of the last level.
  const { rows: recent } = await s.settlement.pool.query<{ hospital: string; bill_no: string }>("SELECT hospital, bill_no FROM settlements WHERE bill_no LIKE 's-%' ORDER BY settled_at DESC LIMIT 20");
  const steps = new Map<string, number[]>();
  for (const r of recent) {
    const events = (await temporal.workflow.getHandle(`settlement:${r.hospital}:${r.bill_no}`).fetchHistory()).events ?? [];
    const at = (i: number) => Number(events[i]!.eventTime!.seconds) * 1000 + events[i]!.eventTime!.nanos! / 1e6;
    const idx = (f: (e: (typeof events)[number]) => unknown, from = 0) => events.findIndex((e, k) => k >= from && !!f(e));
    const wftStarted = idx((e) => e.workflowTaskStartedEventAttributes);
    const wftCompleted = idx((e) => e.workflowTaskCompletedEventAttributes);
    const closed = idx((e) => e.workflowExecutionCompletedEventAttributes);
    const markers = events.filter((e) => e.markerRecordedEventAttributes).length;
    const add = (k: string, v: number) => steps.set(k, [...(steps.get(k) ?? []), v]);
    add('start → first workflow task picked up (update delivered)', at(wftStarted) - at(0));
    add(`first workflow task: ${markers} local activities (persons call, rule, cap-locking commit) + the pure rule`, at(wftCompleted) - at(wftStarted));
    add('task completed → workflow closed', at(closed) - at(wftCompleted));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`${'path'.padEnd(30)} callers   calls     /s      p50      p95      p99   (ms)`);
  for (const r of rows) console.log(`${r.path.padEnd(30)} ${String(r.callers).padStart(7)} ${String(r.calls).padStart(7)} ${f(r.perSec)} ${f(r.p50)}  ${f(r.p95)}  ${f(r.p99)}`);
  console.log('\nSettle against floor (b), same callers:');
  for (const n of LEVELS) {
    const b = rows.find((r) => r.callers === n && r.path.startsWith('(b)'))!;
    const x = rows.find((r) => r.callers === n && r.path.startsWith('Settle'))!;
    console.log(`  ${String(n).padStart(2)} callers: throughput ${((x.perSec / b.perSec) * 100).toFixed(0)}% of (b) (target ≥ 70%), p99 ${(x.p99 / b.p99).toFixed(2)}× (b)'s (target ≤ 2×)${n === 1 ? `, p50 ${x.p50.toFixed(0)} ms (target ≤ 100)` : ''}`);
  }
  console.log('\nTime per step (median of 20 settlements at 32 callers, from their histories; the update answers when the task completes):');
  for (const [k, v] of steps) console.log(`  ${f(median(v))} ms  ${k}`);
  if (values.json) console.log(JSON.stringify({ rows, steps: Object.fromEntries([...steps].map(([k, v]) => [k, median(v)])) }));
} finally {
  await bare?.stop();
  await temporal?.connection.close();
  await s.stop();
}
