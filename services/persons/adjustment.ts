/**
 * The annual adjustment in persons (issue 10), one page of persons at a time, as the persons
 * activities run it for workflows/adjustment:
 *
 * - the **simulation** (`simulatePage`): each person of the region derived again with the candidate
 *   standards version and compared with the current periods (domain/benefits.ts `impactOf`), rows
 *   in `adjustment_impacts`;
 * - the **apply** (`applyPage`), under the run's approved STANDARDS_ADJUSTMENT change request: the
 *   periods re-derived with the published version (`rederiveFrom`), back pay with source
 *   `adjustment:<version id>` for closed months (raises only) and for months the previous system
 *   paid, the funeral subsidy's top-up, a marker per (version, person) so that each person is
 *   reached once, and one BenefitChanged per person, a page per transaction.
 *
 * A page's persons, identities, status events and periods are read set-wise (a few queries), its
 * quotes in one BatchLookupBenefits per 5,000 keys.
 */
import { randomUUID } from 'node:crypto';
import { addMonths, monthOf, type CivilDate, type YearMonth } from '../lib/civil';
import { toJson, withTx, type Pool, type Queryable } from '../lib/db';
import { failedPrecondition, notFound } from '../lib/errors';
import {
  derivePeriods,
  dueIn,
  extraBoundaries,
  funeralQuoteKeys,
  funeralTopUp,
  impactOf,
  preHistoryKeys,
  preHistoryRaises,
  quoteKeysFor,
  raisesOnly,
  type PeriodTerms,
  type QuoteKey,
  type Timeline,
} from './domain/benefits';
import { timelineOf } from './domain/changes';
import { MONTHLY_BENEFITS, type DeathCause } from './domain/types';
import { recordBenefitChangedMany, rederiveMany, type BenefitChange } from './rederive';
import type { PersonsService } from './service';
import * as store from './store';

/** The district prefix of a region: xx0000 → xx, xxxx00 → xxxx, a district → itself. */
export const regionPrefix = (region: string) => (region === '' ? '' : region.endsWith('0000') ? region.slice(0, 2) : region.endsWith('00') ? region.slice(0, 4) : region);

/** Where a page starts and ends: persons with `after` < id < `before` ('' = open), `limit` of them. */
export interface Paging {
  after: string;
  before: string;
  limit: number;
}

/** A page's result: `next` is the cursor of the next page, '' after the last. */
export interface PageResult {
  /** Persons read in this page. */
  processed: number;
  next: string;
  backPayFen: string;
}

// ---------- reading a page ----------

/** What a page reads of a person (not the encrypted fields). */
type PageRow = Pick<store.PersonRow, 'id' | 'id_masked' | 'district' | 'history_from' | 'status' | 'death_cause' | 'categories' | 'version'>;

interface Plan {
  row: PageRow;
  t: Timeline;
  /** First month derived again: max(effective month, history_from). */
  from: YearMonth;
  extra: YearMonth[];
  /** Boundaries from the effective month (for months before history_from). */
  earlyExtra: YearMonth[];
  death?: { month: YearMonth; cause: DeathCause };
  district: string;
  /** Quotes with the new standards. */
  keys: QuoteKey[];
  /** Quotes with the old standards (months before history_from, the month of death). */
  oldKeys: QuoteKey[];
}

// The marker check is a probe per person (OFFSET 0 keeps it a subplan): as an anti-join the planner
// hashed every marker of the version for each page, so a page cost grew with the persons applied
// (270 ms a page at 1,000,000 persons, half the apply's statement time).
async function readPage(q: Queryable, o: Paging & { regionCode: string; effective: YearMonth; todayMonth: YearMonth; unmarkedFor?: string }) {
  const { rows } = await q.query<PageRow>(
    `SELECT id, id_masked, district, history_from, status, death_cause, categories, version FROM persons p WHERE district LIKE $1 AND ($2::uuid IS NULL OR id > $2) AND ($5::uuid IS NULL OR id < $5)
        AND ($4::text IS NULL OR NOT EXISTS (SELECT 1 FROM adjustment_markers m WHERE m.version_id = $4 AND m.person_id = p.id OFFSET 0))
      ORDER BY id LIMIT $3`,
    [`${regionPrefix(o.regionCode)}%`, o.after || null, o.limit, o.unmarkedFor ?? null, o.before || null],
  );
  const ids = rows.map((r) => r.id);
  const [identities, events, periods, versionMonths] = await Promise.all([
    store.identitiesOf(q, ids),
    store.statusEventsOfMany(q, ids),
    store.currentTermsOfMany(q, ids),
    store.versionMonths(q),
  ]);
  const versions = [...versionMonths, o.effective];
  const plans = rows.map((row): Plan => {
    const evs = events.get(row.id)!;
    const t = timelineOf(row.history_from, identities.get(row.id)!.map(store.identitySpan), evs);
    const from = o.effective > t.historyFrom ? o.effective : t.historyFrom;
    const extra = extraBoundaries(versions, from, o.todayMonth);
    const earlyExtra = extraBoundaries(versions, o.effective, o.todayMonth);
    const died = row.status === 'DECEASED' ? evs.findLast((e) => e.status === 'DECEASED') : undefined;
    const death = died && monthOf(died.date) >= o.effective ? { month: monthOf(died.date), cause: (died.deathCause ?? row.death_cause ?? 'OTHER') as DeathCause } : undefined;
    const old = [...preHistoryKeys(t, o.effective, earlyExtra), ...(death ? funeralQuoteKeys(t, death.month) : [])];
    return { row, t, from, extra, earlyExtra, ...(death ? { death } : {}), district: row.district, keys: [...quoteKeysFor(t, from, extra), ...old], oldKeys: old };
  });
  return { rows, plans, periods };
}

const monthlyIn = (ps: readonly PeriodTerms[], m: YearMonth) => MONTHLY_BENEFITS.reduce((s, b) => s + dueIn(ps, b, m), 0n);

// ---------- simulation ----------

export interface SimulatePageInput extends Paging {
  /** The adjustment run's attempt (its rows are kept under it). */
  runId: string;
  /** The DRAFT / APPROVED standards version being costed; '' for a January roll-over (the index value is in force already). */
  candidateVersionId: string;
  /** Its effective date. */
  effectiveFrom: CivilDate;
  /** The first payroll paying the new rate and the back pay, YYYY-MM. */
  payrollMonth: YearMonth;
  /** '' = every person; else a province (xx0000), city (xxxx00) or district code. */
  regionCode: string;
}

export async function simulatePage(d: { svc: PersonsService; pool: Pool }, i: SimulatePageInput): Promise<PageResult> {
  const effective = monthOf(i.effectiveFrom);
  const { rows, plans, periods } = await readPage(d.pool, { ...i, effective, todayMonth: d.svc.todayMonth() });
  // Without a candidate (a roll-over) the old standards are the current ones: no second lookup.
  const [now, was, funerals] = await Promise.all([
    d.svc.quotes(plans, i.candidateVersionId ? { candidateVersionId: i.candidateVersionId } : {}),
    i.candidateVersionId ? d.svc.quotes(plans.map((p) => ({ ...p, keys: p.oldKeys }))) : undefined,
    store.funeralRecorded(d.pool, rows.map((r) => r.id)),
  ]);
  let backPay = 0n;
  const impacts = plans.map((p, n) => {
    const simulated = derivePeriods(p.t, p.from, p.extra, now[n]!);
    // Without a candidate (a January roll-over) only the periods from January move.
    const preHistory = was ? preHistoryRaises(p.t, effective, i.payrollMonth, p.earlyExtra, was[n]!, now[n]!) : [];
    const funeralTopUpFen = p.death && was ? funeralTopUp(p.t, p.death.month, p.death.cause, was[n]!, now[n]!, funerals.get(p.row.id) ?? 0n) : 0n;
    const impact = impactOf(periods.get(p.row.id)!.map(store.periodTerms), simulated, p.from, i.payrollMonth, { preHistory, funeralTopUpFen });
    backPay += impact.backPayFen;
    return { person: p.row, impact };
  });
  if (impacts.length) {
    await d.pool.query(
      `INSERT INTO adjustment_impacts (run_id, person_id, district, category, person_version, old_monthly_fen, new_monthly_fen, back_pay_fen, budget_to_december_fen, funeral_top_up_fen)
       SELECT $1, x.person_id, x.district, x.category, x.person_version, x.old_monthly_fen, x.new_monthly_fen, x.back_pay_fen, x.budget_to_december_fen, x.funeral_top_up_fen
         FROM jsonb_to_recordset($2::jsonb) AS x(person_id uuid, district text, category text, person_version bigint, old_monthly_fen bigint, new_monthly_fen bigint, back_pay_fen bigint, budget_to_december_fen bigint, funeral_top_up_fen bigint)
       ON CONFLICT (run_id, person_id) DO UPDATE SET district = EXCLUDED.district, category = EXCLUDED.category, person_version = EXCLUDED.person_version,
         old_monthly_fen = EXCLUDED.old_monthly_fen, new_monthly_fen = EXCLUDED.new_monthly_fen, back_pay_fen = EXCLUDED.back_pay_fen,
         budget_to_december_fen = EXCLUDED.budget_to_december_fen, funeral_top_up_fen = EXCLUDED.funeral_top_up_fen, simulated_at = clock_timestamp()`,
      [
        i.runId,
        toJson(
          impacts.map(({ person, impact }) => ({
            person_id: person.id,
            district: person.district,
            category: person.categories[0] ?? null,
            person_version: person.version,
            old_monthly_fen: impact.oldMonthlyFen,
            new_monthly_fen: impact.newMonthlyFen,
            back_pay_fen: impact.backPayFen,
            budget_to_december_fen: impact.budgetToDecemberFen,
            funeral_top_up_fen: impact.funeralTopUpFen,
          })),
        ),
      ],
    );
  }
  return { processed: rows.length, next: rows.length === i.limit ? rows.at(-1)!.id : '', backPayFen: backPay.toString() };
}

// ---------- the apply change request ----------

export interface ApplyRow {
  change_id: string;
  basis: 'STANDARDS' | 'INDEX';
  attempt_id: string;
  workflow_id: string;
  version_id: string;
  level: string;
  region_code: string;
  effective_from: string;
  payroll_month: YearMonth;
  started_at: Date | null;
  completed_at: Date | null;
  totals: ApplyTotals | null;
  /** The change request's status (joined). */
  status: store.ChangeStatus;
}

export interface ProposeApplyInput {
  attemptId: string;
  workflowId: string;
  /** STANDARDS (default): `versionId` is a standards version; INDEX: a January roll-over, `versionId` its key `index:<kind>:<city>:<year>`. */
  basis?: 'STANDARDS' | 'INDEX';
  versionId: string;
  level: 'NATIONAL' | 'LOCAL';
  regionCode: string;
  effectiveFrom: CivilDate;
  payrollMonth: YearMonth;
  /** The clerk who started the run: the approver must be someone else. */
  proposedBy: string;
}

export async function getApply(q: Queryable, changeId: string, forUpdate = false): Promise<ApplyRow> {
  const { rows } = await q.query<ApplyRow>(
    `SELECT a.*, c.status FROM adjustment_applies a JOIN change_requests c ON c.id = a.change_id
      WHERE a.change_id = $1${forUpdate ? ' FOR UPDATE OF a' : ''}`,
    [changeId],
  );
  if (!rows[0]) throw notFound(`adjustment change ${changeId}`, 'ADJUSTMENT_CHANGE_NOT_FOUND');
  return rows[0];
}

/** Proposes the run's STANDARDS_ADJUSTMENT change request, once per attempt (again: the same one). */
export async function proposeApply(pool: Pool, i: ProposeApplyInput): Promise<{ changeId: string }> {
  return withTx(pool, async (tx) => {
    const had = await tx.query<{ change_id: string }>('SELECT change_id FROM adjustment_applies WHERE attempt_id = $1', [i.attemptId]);
    if (had.rows[0]) return { changeId: had.rows[0].change_id };
    const id = randomUUID();
    await store.insertChange(tx, {
      id,
      kind: 'STANDARDS_ADJUSTMENT',
      status: 'PROPOSED',
      personId: null,
      idMasked: null,
      baseVersion: 0n,
      effectiveDate: i.effectiveFrom,
      summary: `${i.basis === 'INDEX' ? 'January roll-over' : 'annual adjustment'} ${i.workflowId}: ${i.basis === 'INDEX' ? i.versionId : `standards version ${i.versionId}`} from ${i.effectiveFrom}, back pay in payroll ${i.payrollMonth}`,
      payloadEnc: null,
      proposedBy: i.proposedBy,
      proposedVia: 'adjustment',
    });
    await tx.query(
      `INSERT INTO adjustment_applies (change_id, attempt_id, workflow_id, basis, version_id, level, region_code, effective_from, payroll_month)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, i.attemptId, i.workflowId, i.basis ?? 'STANDARDS', i.versionId, i.level, i.regionCode, i.effectiveFrom, i.payrollMonth],
    );
    return { changeId: id };
  });
}

/** A rejected or cancelled run withdraws its change request (it never blocks payroll). Idempotent. */
export async function withdrawApply(pool: Pool, changeId: string, reason: string): Promise<void> {
  await pool.query(
    `UPDATE change_requests SET status = 'REJECTED', decided_by = 'adjustment', decided_via = 'adjustment', decided_at = clock_timestamp(), decision_note = $2
      WHERE id = $1 AND status = 'PROPOSED'`,
    [changeId, reason],
  );
}

/** Payroll P (or a later one) has run: too late to approve or apply an adjustment paying from P. */
export async function assertPayrollOpen(q: Queryable, payrollMonth: YearMonth): Promise<void> {
  const { rows } = await q.query<{ month: string }>('SELECT month FROM payroll_runs WHERE month >= $1 ORDER BY month LIMIT 1', [payrollMonth]);
  if (rows[0]) throw failedPrecondition('PAYROLL_MONTH_CLOSED', `the payroll of ${rows[0].month} has run; the adjustment pays from ${payrollMonth}: start it again with a later payroll month`);
}

/**
 * The payroll gate: from the approval of an adjustment's change until its apply completes, the
 * payroll of its month P or later is refused (it would pay the old rate without the back pay).
 */
export async function assertNoApplyInProgress(q: Queryable, month: YearMonth): Promise<void> {
  const { rows } = await q.query<{ workflow_id: string; payroll_month: string }>(
    `SELECT a.workflow_id, a.payroll_month FROM adjustment_applies a JOIN change_requests c ON c.id = a.change_id
      WHERE c.status = 'APPROVED' AND a.completed_at IS NULL AND a.payroll_month <= $1 LIMIT 1`,
    [month],
  );
  if (rows[0]) {
    throw failedPrecondition('ADJUSTMENT_IN_PROGRESS', `the annual adjustment ${rows[0].workflow_id} is being applied; the payroll of ${month} waits until it completes`, { runId: rows[0].workflow_id });
  }
}

async function approvedApply(q: Queryable, changeId: string): Promise<ApplyRow> {
  const a = await getApply(q, changeId);
  if (a.status !== 'APPROVED') throw failedPrecondition('ADJUSTMENT_NOT_APPROVED', `the adjustment change ${changeId} is ${a.status.toLowerCase()}; apply writes only under an approved one`);
  return a;
}

/**
 * Whether the apply may start: its change approved, and the payroll before P closed (so every month
 * before P is settled and back pay covers them all). `waitingFor` is the payroll month awaited.
 */
export async function applyReadiness(pool: Pool, changeId: string): Promise<{ ready: boolean; waitingFor: string }> {
  const a = await approvedApply(pool, changeId);
  if (a.completed_at) return { ready: true, waitingFor: '' };
  if (!a.started_at) await assertPayrollOpen(pool, a.payroll_month);
  const prev = addMonths(a.payroll_month, -1);
  const { rows } = await pool.query<{ prev: boolean; any: boolean }>(
    'SELECT bool_or(month = $1) AS prev, count(*) > 0 AS any FROM payroll_runs WHERE month <= $1',
    [prev],
  );
  // A registry that never ran a payroll before P has nothing to wait for.
  return rows[0]!.prev || !rows[0]!.any ? { ready: true, waitingFor: '' } : { ready: false, waitingFor: prev };
}

/** Starts the apply: records a standards version (its month splits periods from now on, for every derivation). */
export async function beginApply(pool: Pool, changeId: string): Promise<void> {
  const a = await approvedApply(pool, changeId);
  if (a.basis === 'STANDARDS') await store.recordVersion(pool, { id: a.version_id, level: a.level, region: a.region_code, effectiveFrom: a.effective_from, supersedes: null });
  await pool.query('UPDATE adjustment_applies SET started_at = coalesce(started_at, clock_timestamp()) WHERE change_id = $1', [changeId]);
}

export interface ApplyPageInput extends Paging {
  changeId: string;
}

export interface ApplyPageResult extends PageResult {
  /** Persons written (marked) in this page; the others changed meanwhile and are left to the next pass. */
  applied: number;
  funeralFen: string;
}

/**
 * Applies the version to one page of the region's persons not marked yet. Quotes are read before
 * the transaction; in it the page's persons are locked, and a person whose version moved since the
 * read (a change approved meanwhile) is left for the next pass (the final sweep).
 */
export async function applyPage(d: { svc: PersonsService; pool: Pool }, i: ApplyPageInput): Promise<ApplyPageResult> {
  const a = await approvedApply(d.pool, i.changeId);
  if (!a.started_at) throw failedPrecondition('ADJUSTMENT_NOT_STARTED', 'the apply has not begun (its version is not recorded yet)');
  const effective = monthOf(a.effective_from);
  const { rows, plans, periods } = await readPage(d.pool, { regionCode: a.region_code, after: i.after, before: i.before, limit: i.limit, effective, todayMonth: d.svc.todayMonth(), unmarkedFor: a.version_id });
  // A standards version: the old amounts are the standards' before it (imports' months, funerals); a
  // roll-over changes only what the index moves (no month before January's is re-priced).
  const [now, before] = await Promise.all([
    d.svc.quotes(plans),
    a.basis === 'STANDARDS' ? d.svc.quotes(plans.map((p) => ({ ...p, keys: p.oldKeys })), { beforeVersionId: a.version_id }) : undefined,
  ]);
  const was = before ?? now;
  const lineSource = a.basis === 'STANDARDS' ? `adjustment:${a.version_id}` : a.version_id;
  const next = rows.length === i.limit ? rows.at(-1)!.id : '';
  return withTx(d.pool, async (tx) => {
    await store.lockPayrollShared(tx);
    const ids = rows.map((r) => r.id);
    const locked = await tx.query<{ id: string; version: bigint }>('SELECT id, version FROM persons WHERE id = ANY($1) ORDER BY id FOR UPDATE', [ids]);
    const version = new Map(locked.rows.map((r) => [r.id, r.version]));
    const marked = new Set((await tx.query<{ person_id: string }>('SELECT person_id FROM adjustment_markers WHERE version_id = $1 AND person_id = ANY($2)', [a.version_id, ids])).rows.map((r) => r.person_id));
    const funerals = await store.funeralRecorded(tx, ids);
    const lines: store.NewAdjustment[] = [];
    const markers: object[] = [];
    const events: BenefitChange[] = [];
    let backPay = 0n;
    let funeral = 0n;
    const due = plans.flatMap((p, n) => (marked.has(p.row.id) || version.get(p.row.id) !== p.row.version ? [] : [{ p, n, fallbackCategory: p.t.identities[0]?.attrs.category ?? null }]));
    const rederived = await rederiveMany(
      tx,
      due.map(({ p, n, fallbackCategory }) => ({ personId: p.row.id, from: p.from, timeline: p.t, extra: p.extra, quotes: now[n]!, source: i.changeId, lineSource, fallbackCategory })),
      i.changeId,
    );
    for (const [k, { p, n, fallbackCategory }] of due.entries()) {
      const r = rederived[k]!;
      const before = periods.get(p.row.id)!.map(store.periodTerms);
      const mine = raisesOnly(r.adjustments);
      for (const l of preHistoryRaises(p.t, effective, a.payroll_month, p.earlyExtra, was[n]!, now[n]!)) {
        mine.push({ id: randomUUID(), personId: p.row.id, benefit: l.benefit, month: l.month, source: lineSource, kind: 'BACK_PAY', amountFen: l.amountFen, category: fallbackCategory });
      }
      const topUp = p.death && a.basis === 'STANDARDS' ? funeralTopUp(p.t, p.death.month, p.death.cause, was[n]!, now[n]!, funerals.get(p.row.id) ?? 0n) : 0n;
      if (topUp > 0n) mine.push({ id: randomUUID(), personId: p.row.id, benefit: 'FUNERAL_SUBSIDY', month: p.death!.month, source: lineSource, kind: 'ONE_OFF', amountFen: topUp, category: fallbackCategory });
      const personBackPay = mine.reduce((s, l) => s + (l.kind === 'BACK_PAY' ? l.amountFen : 0n), 0n);
      const after = r.periods.map(store.periodTerms);
      const oldMonthly = monthlyIn(before, a.payroll_month);
      const newMonthly = monthlyIn(after, a.payroll_month);
      lines.push(...mine);
      backPay += personBackPay;
      funeral += topUp;
      markers.push({ person_id: p.row.id, person_version: p.row.version, old_monthly_fen: oldMonthly, new_monthly_fen: newMonthly, back_pay_fen: personBackPay, funeral_fen: topUp, lines: mine.length });
      if (mine.length || !samePeriods(before, after, p.from)) {
        events.push({ personId: p.row.id, masked: p.row.id_masked, source: i.changeId, eventSource: lineSource, from: p.from, periods: r.periods, backPay: personBackPay, overpayment: 0n, funeral: topUp });
      }
    }
    await store.insertAdjustments(tx, lines);
    if (markers.length) {
      await tx.query(
        `INSERT INTO adjustment_markers (version_id, person_id, change_id, person_version, old_monthly_fen, new_monthly_fen, back_pay_fen, funeral_fen, lines)
         SELECT $1, x.person_id, $2, x.person_version, x.old_monthly_fen, x.new_monthly_fen, x.back_pay_fen, x.funeral_fen, x.lines
           FROM jsonb_to_recordset($3::jsonb) AS x(person_id uuid, person_version bigint, old_monthly_fen bigint, new_monthly_fen bigint, back_pay_fen bigint, funeral_fen bigint, lines int)`,
        [a.version_id, i.changeId, toJson(markers)],
      );
    }
    await recordBenefitChangedMany(tx, events);
    return { processed: rows.length, applied: markers.length, next, backPayFen: backPay.toString(), funeralFen: funeral.toString() };
  });
}

/** Same amounts from `from` on (the versions consulted may differ). */
function samePeriods(a: readonly PeriodTerms[], b: readonly PeriodTerms[], from: YearMonth): boolean {
  const key = (ps: readonly PeriodTerms[]) =>
    ps
      .filter((p) => p.to === null || p.to >= from)
      .map((p) => `${p.benefit}|${p.from < from ? from : p.from}|${p.to}|${p.monthlyFen}`)
      .sort()
      .join();
  return key(a) === key(b);
}

export interface ApplyTotals {
  persons: number;
  /** Persons whose monthly amount in P changed or who got back pay or a top-up. */
  personsChanged: number;
  backPayFen: string;
  funeralTopUpFen: string;
  lines: number;
  /** Persons applied with other inputs than simulated (changed or registered since). */
  changedSinceSimulation: number;
}

/** Ends the apply (the payroll gate opens) with its totals from the markers. Idempotent. */
export async function completeApply(pool: Pool, changeId: string): Promise<ApplyTotals> {
  const a = await approvedApply(pool, changeId);
  if (a.completed_at && a.totals) return a.totals;
  const { rows } = await pool.query<{ persons: number; changed: number; back_pay: string; funeral: string; lines: number; since: number }>(
    `SELECT count(*)::int AS persons,
            count(*) FILTER (WHERE m.lines > 0 OR m.new_monthly_fen <> m.old_monthly_fen)::int AS changed,
            coalesce(sum(m.back_pay_fen), 0)::text AS back_pay, coalesce(sum(m.funeral_fen), 0)::text AS funeral,
            coalesce(sum(m.lines), 0)::int AS lines,
            count(*) FILTER (WHERE i.person_version IS DISTINCT FROM m.person_version)::int AS since
       FROM adjustment_markers m LEFT JOIN adjustment_impacts i ON i.run_id = $2 AND i.person_id = m.person_id
      WHERE m.change_id = $1`,
    [changeId, a.attempt_id],
  );
  const r = rows[0]!;
  const totals: ApplyTotals = { persons: r.persons, personsChanged: r.changed, backPayFen: r.back_pay, funeralTopUpFen: r.funeral, lines: r.lines, changedSinceSimulation: r.since };
  await pool.query('UPDATE adjustment_applies SET completed_at = clock_timestamp(), totals = $2 WHERE change_id = $1 AND completed_at IS NULL', [changeId, JSON.stringify(totals)]);
  return totals;
}
