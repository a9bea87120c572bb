/**
 * The annual adjustment's impact simulation, one page of persons at a time (the persons activity
 * `simulateAdjustmentPage`): for each registered person of the region, the periods derived again
 * with the candidate standards version from its effective month (or the person's first paid month),
 * compared with the current periods (domain/benefits.ts `impactOf`), kept in `adjustment_impacts`.
 */
import { monthOf, type CivilDate, type YearMonth } from '../lib/civil';
import { toJson, type Pool } from '../lib/db';
import { derivePeriods, extraBoundaries, impactOf, quoteKeysFor } from './domain/benefits';
import { timelineOf } from './domain/changes';
import type { PersonsService } from './service';
import * as store from './store';

export interface SimulatePageInput {
  /** The adjustment run (its workflow id). */
  runId: string;
  /** The DRAFT / APPROVED standards version being costed. */
  candidateVersionId: string;
  /** Its effective date. */
  effectiveFrom: CivilDate;
  /** The first payroll paying the new rate and the back pay, YYYY-MM. */
  payrollMonth: YearMonth;
  /** '' = every person; else a province (xx0000), city (xxxx00) or district code. */
  regionCode: string;
  /** Person id after which the page starts; '' = the first page. */
  after: string;
  limit: number;
}

export interface SimulatedPage {
  processed: number;
  /** The cursor of the next page; '' when this was the last. */
  next: string;
  backPayFen: string;
}

/** The district prefix of a region: xx0000 → xx, xxxx00 → xxxx, a district → itself. */
export const regionPrefix = (region: string) => (region === '' ? '' : region.endsWith('0000') ? region.slice(0, 2) : region.endsWith('00') ? region.slice(0, 4) : region);

export async function simulatePage(d: { svc: PersonsService; pool: Pool }, i: SimulatePageInput): Promise<SimulatedPage> {
  // The page's persons, identities, status events and current periods: four queries, not four per person.
  const { rows } = await d.pool.query<store.PersonRow>(
    `SELECT * FROM persons WHERE district LIKE $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [`${regionPrefix(i.regionCode)}%`, i.after || null, i.limit],
  );
  const ids = rows.map((r) => r.id);
  const [identities, events, periods] = await Promise.all([store.identitiesOf(d.pool, ids), store.statusEventsOfMany(d.pool, ids), store.currentPeriodsOfMany(d.pool, ids)]);
  const effective = monthOf(i.effectiveFrom);
  const todayMonth = d.svc.todayMonth();
  const versions = [...(await store.versionMonths(d.pool)), effective];
  const plans = rows.map((row) => {
    const t = timelineOf(row.history_from, identities.get(row.id)!.map(store.identitySpan), events.get(row.id)!);
    const from = effective > t.historyFrom ? effective : t.historyFrom;
    const extra = extraBoundaries(versions, from, todayMonth);
    return { row, t, from, extra, district: row.district, keys: quoteKeysFor(t, from, extra) };
  });
  const quotes = await d.svc.quotes(plans, i.candidateVersionId);
  let backPay = 0n;
  const impacts = plans.map((plan, n) => {
    const simulated = derivePeriods(plan.t, plan.from, plan.extra, quotes[n]!);
    const impact = impactOf(periods.get(plan.row.id)!.map(store.periodTerms), simulated, plan.from, i.payrollMonth);
    backPay += impact.backPayFen;
    return { person: plan.row, impact };
  });
  if (impacts.length) {
    await d.pool.query(
      `INSERT INTO adjustment_impacts (run_id, person_id, district, category, person_version, old_monthly_fen, new_monthly_fen, back_pay_fen, budget_to_december_fen)
       SELECT $1, x.person_id, x.district, x.category, x.person_version, x.old_monthly_fen, x.new_monthly_fen, x.back_pay_fen, x.budget_to_december_fen
         FROM jsonb_to_recordset($2::jsonb) AS x(person_id uuid, district text, category text, person_version bigint, old_monthly_fen bigint, new_monthly_fen bigint, back_pay_fen bigint, budget_to_december_fen bigint)
       ON CONFLICT (run_id, person_id) DO UPDATE SET district = EXCLUDED.district, category = EXCLUDED.category, person_version = EXCLUDED.person_version,
         old_monthly_fen = EXCLUDED.old_monthly_fen, new_monthly_fen = EXCLUDED.new_monthly_fen, back_pay_fen = EXCLUDED.back_pay_fen,
         budget_to_december_fen = EXCLUDED.budget_to_december_fen, simulated_at = clock_timestamp()`,
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
          })),
        ),
      ],
    );
  }
  return { processed: rows.length, next: rows.length === i.limit ? rows.at(-1)!.id : '', backPayFen: backPay.toString() };
}
