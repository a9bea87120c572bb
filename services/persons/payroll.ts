/**
 * The monthly payroll (RunPayroll), exactly once per month: regular lines from the current
 * periods, pending back pay and one-off lines, overpayment recoveries; refused while an annual
 * adjustment's apply holds the month (adjustment.ts).
 */
import type { Caller } from '../lib/auth';
import type { YearMonth } from '../lib/civil';
import { withTx, type Pool, type Queryable } from '../lib/db';
import { failedPrecondition } from '../lib/errors';
import { assertNoApplyInProgress } from './adjustment';
import type { Status } from './domain/types';
import { who, type PersonsService } from './service';
import * as store from './store';

/** Stored result of a payroll run (amounts as decimal strings). */
export interface PayrollResult {
  month: YearMonth;
  runBy: string;
  runAt: string;
  total: string;
  regular: string;
  backPay: string;
  recovered: string;
  oneOff: string;
  lines: number;
  personsPaid: number;
  byCategory: { key: string | null; amount: string; lines: number; persons: number }[];
  byDistrict: { key: string; amount: string; lines: number; persons: number }[];
  skipped: { personId: string; status: Status; reason: string }[];
  skippedCount: number;
  exceptions: { personId: string; benefit: string; missing: string[] }[];
  exceptionCount: number;
}

const LIST_CAP = 1000;


export async function payrollOf(pool: Pool, month: YearMonth): Promise<PayrollResult | undefined> {
  const r = await pool.query<{ result: PayrollResult }>('SELECT result FROM payroll_runs WHERE month = $1', [month]);
  return r.rows[0]?.result;
}

/**
 * Runs the payroll of `month` once: a REGULAR line per current benefit period covering the month,
 * the pending back-pay and one-off lines, and recoveries of outstanding overpayments up to what
 * the person is paid in this run. Running it again returns the stored result.
 */
export async function runPayroll(d: { svc: PersonsService; pool: Pool }, month: YearMonth, caller: Caller): Promise<{ result: PayrollResult; alreadyRun: boolean }> {
  if (month > d.svc.todayMonth()) throw failedPrecondition('MONTH_IN_FUTURE', `the payroll of ${month} cannot run before that month`);
  const done = await payrollOf(d.pool, month);
  if (done) return { result: done, alreadyRun: true };
  const me = who(caller);
  return withTx(d.pool, async (tx) => {
    await store.lockPayrollExclusive(tx);
    const again = await tx.query<{ result: PayrollResult }>('SELECT result FROM payroll_runs WHERE month = $1', [month]);
    if (again.rows[0]) return { result: again.rows[0].result, alreadyRun: true };
    await assertNoApplyInProgress(tx, month);
    await tx.query("INSERT INTO payroll_runs (month, run_by, run_via, result) VALUES ($1, $2, $3, '{}')", [month, me.subject, me.via]);
    const payee = 'p.district, p.payee_bank, p.payee_account_enc, p.payee_account_masked, p.payee_name_enc';
    const cols = 'run_month, person_id, benefit, kind, for_month, amount_fen, adjustment_id, category, district, payee_bank, payee_account_enc, payee_account_masked, payee_name_enc';
    await tx.query(
      `INSERT INTO payroll_lines (${cols})
       SELECT $1, bp.person_id, bp.benefit, 'REGULAR', $1, bp.monthly_fen, NULL, bp.category, ${payee}
         FROM benefit_periods bp JOIN persons p ON p.id = bp.person_id
        WHERE bp.superseded_by IS NULL AND bp.from_month <= $1 AND (bp.to_month IS NULL OR bp.to_month >= $1)
          AND bp.monthly_fen > 0 AND p.history_from <= $1
        ORDER BY bp.person_id, bp.benefit
       ON CONFLICT DO NOTHING`,
      [month],
    );
    // Pending back pay and one-off payments (held while a person is suspended).
    await tx.query(
      `INSERT INTO payroll_lines (${cols})
       SELECT $1, a.person_id, a.benefit, CASE WHEN a.kind = 'ONE_OFF' THEN 'ONE_OFF' ELSE 'BACK_PAY' END, a.month, a.amount_fen, a.id, a.category, ${payee}
         FROM adjustment_lines a JOIN persons p ON p.id = a.person_id
        WHERE a.amount_fen > 0 AND p.status <> 'SUSPENDED'
          AND NOT EXISTS (SELECT 1 FROM payroll_lines l WHERE l.adjustment_id = a.id AND l.kind IN ('BACK_PAY', 'ONE_OFF'))
        ORDER BY a.person_id, a.seq`,
      [month],
    );
    // Overpayments: offset, oldest first, up to what each person is paid in this run.
    await tx.query(
      `WITH gross AS (
         SELECT person_id, sum(amount_fen) AS g FROM payroll_lines WHERE run_month = $1 AND amount_fen > 0 GROUP BY person_id
       ), od AS (
         SELECT a.id, a.seq, a.person_id, a.benefit, a.month, a.category,
                -a.amount_fen + COALESCE((SELECT sum(r.amount_fen) FROM payroll_lines r WHERE r.adjustment_id = a.id AND r.kind = 'RECOVERY'), 0) AS outstanding
           FROM adjustment_lines a WHERE a.amount_fen < 0
       ), alloc AS (
         SELECT od.*, g.g,
                COALESCE(sum(od.outstanding) OVER (PARTITION BY od.person_id ORDER BY od.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
           FROM od JOIN gross g USING (person_id) WHERE od.outstanding > 0
       )
       INSERT INTO payroll_lines (${cols})
       SELECT $1, alloc.person_id, alloc.benefit, 'RECOVERY', alloc.month, -LEAST(alloc.outstanding, alloc.g - alloc.before), alloc.id, alloc.category, ${payee}
         FROM alloc JOIN persons p ON p.id = alloc.person_id
        WHERE alloc.g - alloc.before > 0
        ORDER BY alloc.person_id, alloc.seq`,
      [month],
    );
    const result = await summarizeRun(tx, month, me.subject, d.svc.now());
    await tx.query('UPDATE payroll_runs SET result = $2 WHERE month = $1', [month, JSON.stringify(result)]);
    return { result, alreadyRun: false };
  });
}

async function summarizeRun(q: Queryable, month: YearMonth, runBy: string, at: Date): Promise<PayrollResult> {
  type Agg = { key: string | null; amount: bigint; lines: number; persons: number };
  const agg = async (col: string) =>
    (
      await q.query<Agg>(
        `SELECT ${col} AS key, sum(amount_fen)::int8 AS amount, count(*)::int AS lines, count(DISTINCT person_id)::int AS persons
           FROM payroll_lines WHERE run_month = $1 GROUP BY ${col} ORDER BY ${col}`,
        [month],
      )
    ).rows;
  const byKind = new Map((await agg('kind')).map((r) => [r.key, r]));
  const byCategory = await agg('category');
  const byDistrict = await agg('district');
  const totals = (
    await q.query<{ amount: bigint | null; lines: number; persons: number }>(
      'SELECT sum(amount_fen)::int8 AS amount, count(*)::int AS lines, count(DISTINCT person_id)::int AS persons FROM payroll_lines WHERE run_month = $1',
      [month],
    )
  ).rows[0]!;
  const skipped = await q.query<{ id: string; status: Status; reason: string | null; n: number }>(
    `SELECT p.id, p.status, p.status_reason AS reason, count(*) OVER ()::int AS n FROM persons p
      WHERE p.status = 'SUSPENDED'
        AND NOT EXISTS (SELECT 1 FROM payroll_lines l WHERE l.person_id = p.id AND l.run_month = $1 AND l.kind = 'REGULAR')
      ORDER BY p.id LIMIT ${LIST_CAP}`,
    [month],
  );
  // A nursing fee uses the previous-year wage (domain.md §2): a period derived in an earlier year
  // still carries an older year's wage in this month's year. It is paid as derived, and listed so
  // that a recompute from January settles the difference.
  const january = `${month.slice(0, 4)}-01`;
  const exceptions = await q.query<{ person_id: string; benefit: string; missing: string[]; n: number }>(
    `SELECT bp.person_id, bp.benefit,
            CASE WHEN bp.benefit = 'NURSING_FEE' AND bp.from_month < $2
                 THEN bp.missing || ARRAY['nursing fee not yet derived from the previous-year wage for ' || left($1, 4) || '; recompute from ' || $2]
                 ELSE bp.missing END AS missing,
            count(*) OVER ()::int AS n
       FROM benefit_periods bp JOIN persons p ON p.id = bp.person_id
      WHERE bp.superseded_by IS NULL AND bp.from_month <= $1 AND (bp.to_month IS NULL OR bp.to_month >= $1)
        AND (cardinality(bp.missing) > 0 OR (bp.benefit = 'NURSING_FEE' AND bp.from_month < $2)) AND p.history_from <= $1
      ORDER BY bp.person_id, bp.benefit LIMIT ${LIST_CAP}`,
    [month, january],
  );
  const s = (x: bigint | null | undefined) => String(x ?? 0n);
  const fmt = (r: Agg) => ({ key: r.key, amount: s(r.amount), lines: r.lines, persons: r.persons });
  return {
    month,
    runBy,
    runAt: at.toISOString(),
    total: s(totals.amount),
    regular: s(byKind.get('REGULAR')?.amount),
    backPay: s(byKind.get('BACK_PAY')?.amount),
    recovered: s(byKind.get('RECOVERY')?.amount),
    oneOff: s(byKind.get('ONE_OFF')?.amount),
    lines: totals.lines,
    personsPaid: totals.persons,
    byCategory: byCategory.map(fmt),
    byDistrict: byDistrict.map((r) => ({ ...fmt(r), key: r.key ?? '' })),
    skipped: skipped.rows.map((r) => ({ personId: r.id, status: r.status, reason: r.reason ?? '' })),
    skippedCount: skipped.rows[0]?.n ?? 0,
    exceptions: exceptions.rows.map((r) => ({ personId: r.person_id, benefit: r.benefit, missing: r.missing })),
    exceptionCount: exceptions.rows[0]?.n ?? 0,
  };
}
