/**
 * The annual adjustment at scale: simulation and apply of the 2022 national raise over N persons.
 *   npm run bench -- adjustment            (N = 100,000)
 *   npx tsx test/bench/adjustment.ts --n 1000000
 * Standards (2021 only), persons, the adjustment service and a workflows worker in this process on
 * a fresh database; N imported persons (approved as one change), payrolls 2022-08 and 2022-09 at
 * the old rate; then a run effective 2022-08-01 with P = 2022-10: persons/s of the simulation and
 * of the apply, the outbox drain (BenefitChanged to Kafka), peak RSS — beside **the floor**: one
 * set-based SQL statement computing every person's back pay from the same periods and the new
 * amounts, in the same run.
 */
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { Phase } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import { StandardLevel } from '../../protos/gen/youfu/standards/v1/standards';
import { entitlementEnums } from '../../services/lib/entitlement';
import { seedFileVersions } from '../../services/standards/seed';
import { rowToProto } from '../../services/standards/wire';
import { startAdjustmentStack } from '../adjustment/support';
import { importPersons, importRecords, movableClock, pbDate, pbMonth } from '../persons/support';
import { eventually, token } from '../support/env';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' }, partitions: { type: 'string', default: '2' } } });
const N = Number(values.n);
const { clock, set } = movableClock('2022-07-20');
const ms = (t: number) => performance.now() - t;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
/** Peak RSS (VmHWM) of another process of the local stack, MB. */
const peakOf = (pattern: RegExp) => {
  const pid = execSync(`pgrep -o -f '${pattern.source}'`).toString().trim();
  const m = pid ? /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) : null;
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

/** CPU seconds (user + system) used so far by the processes matching a pattern (all PostgreSQL backends, say). */
const cpuOf = (pattern: RegExp) => {
  const pids = execSync(`pgrep -f '${pattern.source}' || true`).toString().trim().split('\n').filter(Boolean);
  const tick = 100; // USER_HZ
  return pids.reduce((s, pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime + stime, and cutime + cstime: the backends that ended meanwhile count in the postmaster.
      return s + (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / tick;
    } catch {
      return s;
    }
  }, 0);
};
const CPU = { node: () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }, postgres: () => cpuOf(/(^|\/)postgres[ :]/), temporal: () => cpuOf(/temporal server start-dev/), kafka: () => cpuOf(/kafka\.Kafka/) };
const cpuNow = () => Object.fromEntries(Object.entries(CPU).map(([k, f]) => [k, f()])) as Record<keyof typeof CPU, number>;
/** Cores used per process since `was`, over `wallMs`. */
const coresSince = (was: ReturnType<typeof cpuNow>, wallMs: number) => {
  const now = cpuNow();
  return Object.entries(now).map(([k, v]) => `${k} ${((v - was[k as keyof typeof CPU]) / (wallMs / 1000)).toFixed(2)}`).join(', ');
};
/** With YOUFU_BENCH_CPU_PROFILE=file.cpuprofile, this process's CPU profile of the apply (open it in Chrome DevTools). */
const profiler = async () => {
  const file = process.env.YOUFU_BENCH_CPU_PROFILE;
  if (!file) return async () => {};
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 500 });
  await s.post('Profiler.start');
  return async () => {
    const { profile } = await s.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    s.disconnect();
    console.log(`profile:    ${file}`);
  };
};

const a = await startAdjustmentStack('bench_adjustment', clock, { YOUFU_LOG_LEVEL: 'error', YOUFU_ADJUSTMENT_PAYROLL_POLL: '1 second', YOUFU_ADJUSTMENT_PARTITIONS: values.partitions! });
const { stack } = a;
try {
  const [clerk, approver] = await Promise.all([token('clerk', 'bench-clerk'), token('approver', 'bench-approver')]);
  let t = performance.now();
  // Imports of 10,000 records each (one approval of a million would hold them all in memory at once).
  const CHUNK = 10_000;
  for (let i = 0; i < N; i += CHUNK) {
    const { records } = importRecords(Math.min(CHUNK, N - i), { seed: 7 + i });
    const imported = await importPersons(stack.address, clerk, `bench-adjustment-${N}-${i}`, records);
    await stack.client.approveChange({ changeId: imported.summary!.change!.changeId, note: 'bench' }, approver, { deadlineMs: 60 * 60_000 });
  }
  const persons = Number((await stack.persons.pool.query<{ n: string }>('SELECT count(*) AS n FROM persons')).rows[0]!.n);
  console.log(`setup:      ${fmt(persons)} persons imported and approved in ${fmt(ms(t))} ms (RSS now ${mb(process.memoryUsage().rss)} MB, peak so far ${rssMb()} MB)`);
  t = performance.now();
  for (const [day, month] of [['2022-08-20', '2022-08'], ['2022-09-20', '2022-09']] as const) {
    set(day);
    await stack.client.runPayroll({ month: pbMonth(month) }, approver, { deadlineMs: 60 * 60_000 });
  }
  console.log(`payrolls:   2022-08 and 2022-09 at the 2021 rates in ${fmt(ms(t))} ms`);

  const rows = seedFileVersions().find((v) => v.effectiveFrom === '2022-08-01')!.rows.map(rowToProto);
  const runId = 'adjustment:2022:national';
  t = performance.now();
  let cpu = cpuNow();
  const started = await a.client.startAdjustment(
    { year: 2022, level: StandardLevel.STANDARD_LEVEL_NATIONAL, regionCode: '', payrollMonth: { year: 2022, month: 10 }, source: { $case: 'rows', value: { title: 'bench', documentNumber: 'bench', effectiveFrom: pbDate('2022-08-01'), rows } } },
    clerk,
  );
  const simulated = await eventually(async () => {
    const r = (await a.client.getAdjustment({ runId }, clerk)).adjustment!;
    return r.phase === Phase.PHASE_AWAITING_APPROVAL ? r : undefined;
  }, 60 * 60_000, 'simulated');
  const simMs = ms(t);
  console.log(`simulation: ${fmt(persons)} persons in ${fmt(simMs)} ms = ${fmt((persons / simMs) * 1000)} persons/s; back pay ${(Number(simulated.totals!.backPay!.fen) / 100).toFixed(2)} yuan (RSS now ${mb(process.memoryUsage().rss)} MB)`);
  console.log(`            cores used: ${coresSince(cpu, simMs)}`);

  // The floor: every person's back pay for 2022-08..09 in one statement, from their current pension
  // periods and the new amounts per standards key (the candidate's rows as the standards compute them).
  const keys = await stack.persons.pool.query<{ category: string; grade: number; cause: string | null; district: string }>(
    'SELECT DISTINCT i.category, i.grade, i.cause, p.district FROM identities i JOIN persons p ON p.id = i.person_id',
  );
  const lookup = async (candidateVersionId: string) =>
    (
      await a.standards.batchLookupBenefits(
        {
          items: keys.rows.map((k) => ({
            attributes: { category: entitlementEnums.category.toNumber(k.category as never), disabilityGrade: k.grade, cause: k.cause ? entitlementEnums.cause.toNumber(k.cause as never) : 0, enlistmentPeriod: 0, serviceYears: 0, mentalDisorder: false },
            districtCode: k.district,
            date: pbDate('2022-08-01'),
          })),
          candidateVersionId,
          beforeVersionId: '',
        },
        clerk,
      )
    ).results.map((r) => (r.outcome?.$case === 'benefit' ? r.outcome.value : undefined));
  const [now, was] = [await lookup(started.adjustment!.versionId), await lookup('')];
  const pension = (b: (typeof now)[number]) => String((b?.monthlyAmount?.fen ?? 0n) - (b?.nursingFee?.monthlyAmount?.fen ?? 0n));
  const rates = keys.rows.map((k, n) => ({ ...k, fen: pension(now[n]), old_fen: pension(was[n]) }));
  t = performance.now();
  // Months paid by Youfu: the new amount minus the current period's; months before history_from
  // (paid by the previous system): new minus old amount, for persons in force then.
  const floor = await stack.persons.pool.query<{ persons: string; back_pay: string }>(
    `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(category text, grade int, cause text, district text, fen bigint, old_fen bigint)),
          m AS (SELECT * FROM (VALUES ('2022-08'), ('2022-09')) AS m(month)),
          owed AS (
            SELECT p.id, m.month,
                   CASE WHEN m.month >= p.history_from
                        THEN GREATEST(r.fen - coalesce((SELECT bp.monthly_fen FROM benefit_periods bp WHERE bp.person_id = p.id AND bp.superseded_by IS NULL AND bp.benefit = 'PENSION'
                                                         AND bp.from_month <= m.month AND (bp.to_month IS NULL OR bp.to_month >= m.month)), r.fen), 0)
                        ELSE GREATEST(r.fen - r.old_fen, 0) END AS back_pay
              FROM persons p
              JOIN identities i ON i.person_id = p.id AND i.effective_to IS NULL
              JOIN r ON r.category = i.category AND r.grade = i.grade AND r.cause IS NOT DISTINCT FROM i.cause AND r.district = p.district
              JOIN m ON to_char(p.approval_date, 'YYYY-MM') <= m.month AND to_char(i.effective_from, 'YYYY-MM') <= m.month AND p.status = 'ACTIVE')
     SELECT count(DISTINCT id) AS persons, sum(back_pay) AS back_pay FROM owed`,
    [JSON.stringify(rates)],
  );
  const floorMs = ms(t);
  console.log(`floor:      one statement over ${fmt(Number(floor.rows[0]!.persons))} persons in ${fmt(floorMs)} ms = ${fmt((persons / floorMs) * 1000)} persons/s; back pay ${(Number(floor.rows[0]!.back_pay) / 100).toFixed(2)} yuan`);

  // Where the apply's database time goes (pg_stat_statements, loaded by deploy/local/stack.sh).
  const pg = new Pool({ connectionString: stack.db.adminUrl, max: 1 });
  await pg.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await pg.query('SELECT pg_stat_statements_reset()');
  const stopProfile = await profiler();
  cpu = cpuNow();
  t = performance.now();
  await a.client.approveAdjustment({ runId, payrollMonth: { year: 2022, month: 10 }, note: 'bench' }, approver);
  const done = await eventually(async () => {
    const r = (await a.client.getAdjustment({ runId }, clerk)).adjustment!;
    return r.phase === Phase.PHASE_COMPLETED ? r : undefined;
  }, 60 * 60_000, 'applied');
  const applyMs = ms(t);
  const cores = coresSince(cpu, applyMs);
  await stopProfile();
  console.log(`apply:      ${fmt(Number(done.applied!.persons))} persons in ${fmt(applyMs)} ms = ${fmt((persons / applyMs) * 1000)} persons/s; ${fmt(Number(done.applied!.lines))} lines, back pay ${(Number(done.applied!.backPay!.fen) / 100).toFixed(2)} yuan (RSS now ${mb(process.memoryUsage().rss)} MB)`);
  console.log(`            cores used: ${cores}`);
  const top = await pg.query<{ ms: number; calls: number; rows: number; query: string }>(
    `SELECT round(total_exec_time)::int AS ms, calls::int, rows::int, regexp_replace(query, '\\s+', ' ', 'g') AS query FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 8`,
  );
  await pg.end();
  console.log(`apply's SQL: ${fmt(top.rows.reduce((s, r) => s + r.ms, 0))} ms in the top statements of persons' database:`);
  for (const r of top.rows) console.log(`  ${String(fmt(r.ms)).padStart(7)} ms ${String(fmt(r.calls)).padStart(6)} calls ${String(fmt(r.rows)).padStart(9)} rows  ${r.query.slice(0, 110)}`);
  t = performance.now();
  await eventually(async () => {
    const r = await stack.persons.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
    return r.rows[0]!.n === 0 ? true : undefined;
  }, 60 * 60_000, 'outbox drained');
  console.log(`outbox:     persons' outbox drained to Kafka ${fmt(ms(t))} ms after the apply completed`);
  console.log(`partitions: ${values.partitions} pages under way at once`);
  console.log(`ratios:     simulation ${(simMs / floorMs).toFixed(1)}× the floor, apply ${(applyMs / floorMs).toFixed(1)}× the floor`);
  console.log(`peak RSS:   this process (all four services and the worker) ${rssMb()} MB; Temporal server ${peakOf(/temporal server start-dev/)} MB; PostgreSQL postmaster ${peakOf(/postgres -D/)} MB`);
} finally {
  await a.stop();
}

