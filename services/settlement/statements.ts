/**
 * Monthly statements per hospital: the period a settlement or reversal lands in, the cut-off that
 * prepares a period's statement (run by the monthly schedule's workflow), and the approver's close.
 */
import { StatementStatus as PbStatementStatus } from '../../protos/gen/youfu/settlement/v1/settlement';
import { addMonths, monthOf, shanghaiDate, type YearMonth } from '../lib/civil';
import { settlementEvents } from '../lib/contracts';
import { toJson, withTx, type Pool, type Queryable, type Tx } from '../lib/db';
import { failedPrecondition, invalidArgument } from '../lib/errors';
import { enqueue } from '../lib/outbox';

export type StatementStatus = 'OPEN' | 'PREPARED' | 'CLOSED';

export interface FundTotalJson {
  fund: string;
  count: string;
  amount: string;
}

export interface Totals {
  settled: FundTotalJson[];
  reversed: FundTotalJson[];
}

export interface StatementRow {
  hospital: string;
  period: YearMonth;
  status: StatementStatus;
  totals: Totals | null;
  prepared_at: Date | null;
  closed_at: Date | null;
  closed_by: string | null;
}

/** The advisory lock of a hospital's period: shared by commits, exclusive for its cut-off. */
const periodLock = (hospital: string, period: YearMonth) => [`youfu.settlement.statement:${hospital}:${period}`];

/**
 * The hospital's open period for something committing now in `tx`: the month of `now` (Asia/Shanghai)
 * unless its statement is already cut off, then the next open one. Holds the period's lock shared
 * until `tx` ends, so a cut-off waits for this commit (and sees it) or ran before (and this lands
 * later). Advisory locks queue fairly: a waiting cut-off is not starved by a stream of commits, as
 * it could be behind row-level FOR SHARE locks.
 */
export async function openPeriod(tx: Tx, hospital: string, now: Date): Promise<YearMonth> {
  let period = monthOf(shanghaiDate(now));
  for (;;) {
    await tx.query('SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))', periodLock(hospital, period));
    const { rows } = await tx.query<{ status: StatementStatus }>('SELECT status FROM statements WHERE hospital = $1 AND period = $2', [hospital, period]);
    if (!rows[0] || rows[0].status === 'OPEN') {
      if (!rows[0]) await tx.query("INSERT INTO statements (hospital, period, status) VALUES ($1, $2, 'OPEN') ON CONFLICT DO NOTHING", [hospital, period]);
      return period;
    }
    period = addMonths(period, 1);
  }
}

/** Totals per fund of what landed in a hospital's period. */
export async function totalsOf(q: Queryable, hospital: string, period: YearMonth): Promise<Totals> {
  const sum = async (column: 'period' | 'reverse_period') =>
    (
      await q.query<FundTotalJson>(
        `SELECT fund, count(*)::text AS count, coalesce(sum(amount_fen), 0)::text AS amount FROM settlements
          WHERE hospital = $1 AND ${column} = $2 GROUP BY fund ORDER BY fund`,
        [hospital, period],
      )
    ).rows;
  return { settled: await sum('period'), reversed: await sum('reverse_period') };
}

export const netOf = (t: Totals): bigint => t.settled.reduce((s, x) => s + BigInt(x.amount), 0n) - t.reversed.reduce((s, x) => s + BigInt(x.amount), 0n);

/**
 * Cuts off `period` for every hospital (designated or with anything in the period): its statement
 * becomes PREPARED with its totals fixed; what commits later lands in the next period. Idempotent:
 * a period already cut off stays as it is. A period after the current month is refused. Returns the
 * statements it prepared.
 */
export async function cutOff(pool: Pool, period: YearMonth, now: Date): Promise<StatementRow[]> {
  if (period > monthOf(shanghaiDate(now))) throw invalidArgument('period', `${period} has not begun`);
  const { rows: hospitals } = await pool.query<{ hospital: string }>(
    'SELECT code AS hospital FROM hospitals UNION SELECT hospital FROM statements WHERE period = $1 ORDER BY 1',
    [period],
  );
  const prepared: StatementRow[] = [];
  for (const { hospital } of hospitals) {
    const row = await withTx(pool, async (tx) => {
      // Waits for the settlements and reversals committing into the period; later ones see it cut off.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', periodLock(hospital, period));
      await tx.query("INSERT INTO statements (hospital, period, status) VALUES ($1, $2, 'OPEN') ON CONFLICT DO NOTHING", [hospital, period]);
      const locked = await tx.query<StatementRow>('SELECT * FROM statements WHERE hospital = $1 AND period = $2 FOR UPDATE', [hospital, period]);
      if (locked.rows[0]!.status !== 'OPEN') return undefined;
      const totals = await totalsOf(tx, hospital, period);
      const { rows } = await tx.query<StatementRow>(
        "UPDATE statements SET status = 'PREPARED', totals = $3::jsonb, prepared_at = $4 WHERE hospital = $1 AND period = $2 RETURNING *",
        [hospital, period, toJson(totals), now],
      );
      return rows[0];
    });
    if (row) prepared.push(row);
  }
  return prepared;
}

/** The statement of a hospital's period: stored once cut off; live totals while open. */
export async function statementOf(q: Queryable, hospital: string, period: YearMonth): Promise<StatementRow> {
  const { rows } = await q.query<StatementRow>('SELECT * FROM statements WHERE hospital = $1 AND period = $2', [hospital, period]);
  const row = rows[0] ?? { hospital, period, status: 'OPEN' as const, totals: null, prepared_at: null, closed_at: null, closed_by: null };
  return row.totals ? row : { ...row, totals: await totalsOf(q, hospital, period) };
}

/**
 * Closes a prepared statement as the approver `by` and writes StatementClosed; closing a closed one
 * answers it as it is. An open one (not cut off yet) is FAILED_PRECONDITION `STATEMENT_NOT_PREPARED`.
 */
export async function closeStatement(pool: Pool, hospital: string, period: YearMonth, by: string, note: string, now: Date): Promise<StatementRow> {
  return withTx(pool, async (tx) => {
    const row = (await tx.query<StatementRow>('SELECT * FROM statements WHERE hospital = $1 AND period = $2 FOR UPDATE', [hospital, period])).rows[0];
    if (!row || row.status === 'OPEN') throw failedPrecondition('STATEMENT_NOT_PREPARED', `the statement of ${hospital} for ${period} is not cut off yet`);
    if (row.status === 'CLOSED') return row;
    const { rows } = await tx.query<StatementRow>(
      "UPDATE statements SET status = 'CLOSED', closed_at = $3, closed_by = $4, close_note = $5 WHERE hospital = $1 AND period = $2 RETURNING *",
      [hospital, period, now, by, note],
    );
    const closed = rows[0]!;
    await enqueue(tx, { topic: settlementEvents.topic, aggregateId: `${hospital}:${period}`, type: settlementEvents.statementClosed, data: { statement: statementMessage(closed), note } });
    return closed;
  });
}

const fundTotals = (xs: FundTotalJson[]) => xs.map((x) => ({ fundCode: x.fund, count: BigInt(x.count), amount: { fen: BigInt(x.amount) } }));

/** youfu.settlement.v1.Statement */
export function statementMessage(r: StatementRow) {
  const totals = r.totals ?? { settled: [], reversed: [] };
  return {
    hospitalCode: r.hospital,
    period: r.period,
    status: PbStatementStatus[`STATEMENT_STATUS_${r.status}`],
    settled: fundTotals(totals.settled),
    reversed: fundTotals(totals.reversed),
    netAmount: { fen: netOf(totals) },
    ...(r.prepared_at ? { preparedAt: r.prepared_at } : {}),
    ...(r.closed_at ? { closedAt: r.closed_at } : {}),
    closedBy: r.closed_by ?? '',
  };
}

/** The period before the month of `now`: what the schedule cuts off on the 1st. */
export const previousPeriod = (now: Date): YearMonth => addMonths(monthOf(shanghaiDate(now)), -1);

/**
 * What a scheduled run (no period given) cuts off: the month before `asOf` (the run's scheduled
 * start, not when its activity happens to run) and any earlier period still open (a missed run).
 */
export async function duePeriods(q: Queryable, asOf: Date): Promise<YearMonth[]> {
  const last = previousPeriod(asOf);
  const { rows } = await q.query<{ period: YearMonth }>("SELECT DISTINCT period FROM statements WHERE status = 'OPEN' AND period < $1 ORDER BY period", [last]);
  return [...rows.map((r) => r.period), last];
}
