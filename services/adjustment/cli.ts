/**
 * The staff CLI of the annual adjustment, over the gRPC API only (AnnualAdjustmentService). The
 * caller's own bearer token in YOUFU_TOKEN.
 *
 *   npm run adjust -- start --year 2022 --payroll 2022-10 (--version <id> | --rows rows.json --effective 2022-08-01 --title … --document …) [--region 440100]
 *   npm run adjust -- start --rollover --year 2023 --region 440100 --payroll 2023-03   the city's nursing-fee roll-over from 2023-01
 *   npm run adjust -- status <run id> [--watch]      phase; while simulating or applying a live progress bar (done / total, rate, time left)
 *   npm run adjust -- impact <run id>                the simulation's totals: overall, by category, by district
 *   npm run adjust -- approve <run id> --payroll 2022-10 [--note …]
 *   npm run adjust -- reject | cancel <run id> --reason …
 *   npm run adjust -- pause | resume <run id>
 *
 * YOUFU_ADJUSTMENT_ADDR (127.0.0.1:50055) names the service.
 * A rows file is a JSON array of youfu.standards.v1.StandardRow in protobuf JSON.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AnnualAdjustmentServiceService, Phase, type Adjustment, type StartAdjustmentRequest } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import type { ImpactTotal } from '../../protos/gen/youfu/persons/v1/persons';
import { StandardLevel, StandardRow } from '../../protos/gen/youfu/standards/v1/standards';
import { createUnaryClient } from '../lib/grpc';
import { formatYuan } from '../lib/money';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    year: { type: 'string' },
    region: { type: 'string', default: '' },
    payroll: { type: 'string' },
    version: { type: 'string' },
    rows: { type: 'string' },
    effective: { type: 'string' },
    title: { type: 'string' },
    document: { type: 'string' },
    note: { type: 'string', default: '' },
    reason: { type: 'string', default: '' },
    watch: { type: 'boolean', default: false },
    rollover: { type: 'boolean', default: false },
  },
});
const [command, runId] = positionals;
const token = process.env.YOUFU_TOKEN;
const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};
if (!token) fail('YOUFU_TOKEN: your bearer token (locally: YOUFU_TOKEN=$(npm run -s token -- clerk li))');
const client = createUnaryClient(AnnualAdjustmentServiceService, process.env.YOUFU_ADJUSTMENT_ADDR ?? '127.0.0.1:50055');
const month = (s: string | undefined, flag: string) => {
  if (!s || !/^\d{4}-(0[1-9]|1[0-2])$/.test(s)) return fail(`--${flag} YYYY-MM`);
  return { year: Number(s.slice(0, 4)), month: Number(s.slice(5, 7)) };
};
const date = (s: string | undefined, flag: string) => {
  if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return fail(`--${flag} YYYY-MM-DD`);
  return { year: Number(s.slice(0, 4)), month: Number(s.slice(5, 7)), day: Number(s.slice(8, 10)) };
};
const needRun = () => runId ?? fail(`${command}: the run id (adjustment:{year}:{national|region code})`);

function describe(a: Adjustment): string {
  const t = a.totals;
  return [
    `${a.runId}  ${Phase[a.phase].replace('PHASE_', '')}${a.paused ? ' (paused)' : ''}`,
    `  version ${a.versionId} (simulated revision ${a.simulatedRevision}), effective ${a.effectiveFrom?.year}-${String(a.effectiveFrom?.month).padStart(2, '0')}, payroll ${a.payrollMonth?.year}-${String(a.payrollMonth?.month).padStart(2, '0')}`,
    `  started by ${a.startedBy}${a.decidedBy ? `, decided by ${a.decidedBy}${a.decisionNote ? ` (${a.decisionNote})` : ''}` : ''}`,
    t ? `  ${t.persons} persons, ${t.personsAffected} affected; back pay ${formatYuan(t.backPay!.fen)} yuan; funeral top-ups ${formatYuan(t.funeralTopUp?.fen ?? 0n)}; monthly change ${formatYuan(t.monthlyChange!.fen)}; budget to December ${formatYuan(t.budgetToDecember!.fen)}` : `  ${a.personsDone} persons simulated so far`,
    ...(a.phase === Phase.PHASE_APPLYING ? [`  ${a.personsDone} / ${a.personsTotal} persons applied so far`] : []),
    ...(a.applied
      ? [
          `  applied: ${a.applied.persons} persons, ${a.applied.personsChanged} changed; back pay ${formatYuan(a.applied.backPay!.fen)} yuan; funeral top-ups ${formatYuan(a.applied.funeralTopUp!.fen)} yuan; ${a.applied.lines} lines; ${a.applied.changedSinceSimulation} changed since the simulation`,
        ]
      : []),
  ].join('\n');
}

/** Polls the run while it simulates or applies, drawing phase, done / total, rate and time left on stderr. */
async function watch(id: string): Promise<Adjustment> {
  let started = Date.now();
  let first: bigint | undefined;
  let phase: Phase | undefined;
  for (;;) {
    const a = (await client.getAdjustment({ runId: id }, token)).adjustment!;
    if (a.phase !== Phase.PHASE_SIMULATING && a.phase !== Phase.PHASE_APPLYING) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      return a;
    }
    if (a.phase !== phase) {
      if (phase !== undefined && process.stderr.isTTY) process.stderr.write('\n');
      [phase, first, started] = [a.phase, undefined, Date.now()];
    }
    first ??= a.personsDone;
    const total = Number(a.personsTotal);
    const done = Number(a.personsDone);
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? (done - Number(first)) / secs : 0;
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : 0;
    const left = rate > 0 && total > 0 ? `${Math.ceil((total - done) / rate)} s left` : '…';
    const line = `${a.phase === Phase.PHASE_APPLYING ? 'applying' : 'simulating'} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString('en-US')} / ${total ? total.toLocaleString('en-US') : '?'} persons  ${rate.toFixed(0)}/s  ${left}${a.paused ? '  (paused)' : ''}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function table(title: string, rows: ImpactTotal[]) {
  console.log(`\n${title}`);
  console.log(`  ${'group'.padEnd(26)} ${'persons'.padStart(9)} ${'affected'.padStart(9)} ${'back pay'.padStart(16)} ${'monthly Δ'.padStart(14)} ${'to December'.padStart(16)}`);
  for (const r of rows) {
    console.log(
      `  ${(r.group || 'all').padEnd(26)} ${String(r.persons).padStart(9)} ${String(r.personsAffected).padStart(9)} ${formatYuan(r.backPay!.fen).padStart(16)} ${formatYuan(r.monthlyChange!.fen).padStart(14)} ${formatYuan(r.budgetToDecember!.fen).padStart(16)}`,
    );
  }
}

try {
  switch (command) {
    case 'start': {
      const year = Number(values.year ?? fail('--year'));
      const req: StartAdjustmentRequest = {
        year,
        level: values.region || values.rollover ? StandardLevel.STANDARD_LEVEL_LOCAL : StandardLevel.STANDARD_LEVEL_NATIONAL,
        regionCode: values.region ?? '',
        payrollMonth: month(values.payroll, 'payroll'),
        source: values.rollover
          ? { $case: 'nursingRollover', value: { cityCode: values.region || fail('--region <city code> (with --rollover)') } }
          : values.version
          ? { $case: 'versionId', value: values.version }
          : {
              $case: 'rows',
              value: {
                title: values.title ?? fail('--title (with --rows)'),
                documentNumber: values.document ?? fail('--document (with --rows)'),
                effectiveFrom: date(values.effective, 'effective'),
                rows: (JSON.parse(readFileSync(values.rows ?? fail('--version <id> or --rows <file>'), 'utf8')) as unknown[]).map((r) => StandardRow.fromJSON(r)),
              },
            },
      };
      const r = await client.startAdjustment(req, token);
      console.log(`${r.started ? 'started' : 'already there'}\n${describe(r.adjustment!)}`);
      if (values.watch) console.log(describe(await watch(r.adjustment!.runId)));
      break;
    }
    case 'status':
      console.log(describe(values.watch ? await watch(needRun()) : (await client.getAdjustment({ runId: needRun() }, token)).adjustment!));
      break;
    case 'impact': {
      const a = (await client.getAdjustment({ runId: needRun() }, token)).adjustment!;
      const r = await client.listImpact({ runId: a.runId, page: { pageSize: 1, pageToken: '' }, changedSinceSimulation: false }, token);
      console.log(describe(a));
      table('total', [r.total!]);
      table('by category', r.byCategory);
      table('by district', r.byDistrict);
      break;
    }
    case 'approve':
      console.log(describe((await client.approveAdjustment({ runId: needRun(), payrollMonth: month(values.payroll, 'payroll'), note: values.note ?? '' }, token)).adjustment!));
      break;
    case 'reject':
      console.log(describe((await client.rejectAdjustment({ runId: needRun(), reason: values.reason || fail('--reason') }, token)).adjustment!));
      break;
    case 'cancel':
      console.log(describe((await client.cancelAdjustment({ runId: needRun(), reason: values.reason || fail('--reason') }, token)).adjustment!));
      break;
    case 'pause':
      console.log(describe((await client.pauseAdjustment({ runId: needRun() }, token)).adjustment!));
      break;
    case 'resume':
      console.log(describe((await client.resumeAdjustment({ runId: needRun() }, token)).adjustment!));
      break;
    default:
      fail('usage: npm run adjust -- start | status | impact | approve | reject | pause | resume | cancel … (see services/adjustment/cli.ts)');
  }
} catch (err) {
  const e = err as { code?: number; details?: string };
  fail(`refused: ${e.details ?? String(err)}`);
} finally {
  client.close();
}
