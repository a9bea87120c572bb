/**
 * The one re-derivation of a person's benefits (issue 10): from a month on, the periods are derived
 * again from the timeline and the quotes, replace the current ones, and the difference for months
 * already paid (or before `history_from`) becomes back-pay / overpayment lines, with the
 * BenefitChanged event. A person's own change, a recompute and the annual adjustment's apply use it.
 */
import { randomUUID } from 'node:crypto';
import type { YearMonth } from '../lib/civil';
import type { Tx } from '../lib/db';
import { enqueue, enqueueMany } from '../lib/outbox';
import { derivePeriods, diffLines, type Quotes, type Timeline } from './domain/benefits';
import type { Category } from './domain/types';
import { benefitChanged, PERSONS_TOPIC } from './events';
import * as store from './store';
import { enums, money, toPbMonth } from './wire';

export interface RederiveInput {
  personId: string;
  /** First month derived again. */
  from: YearMonth;
  timeline: Timeline;
  /** Extra period boundaries (standards versions' months). */
  extra: readonly YearMonth[];
  quotes: Quotes;
  /** What caused it: the change request id (periods reference it; lines too unless `lineSource`). */
  source: string;
  /** The lines' source when not the change id, e.g. `adjustment:<version id>`. */
  lineSource?: string;
  /** Category of a line when no period covers its month. */
  fallbackCategory: Category | null;
}

export interface Rederived {
  /** The person's periods now in force. */
  periods: store.CurrentPeriod[];
  /** The lines owed (not yet written: the caller adds its own, e.g. a funeral subsidy, and inserts them with `store.insertAdjustments`). */
  adjustments: store.NewAdjustment[];
}

/** Re-derives one person's periods from `from` in `tx` (rederiveMany of one). */
export async function rederiveFrom(tx: Tx, r: RederiveInput): Promise<Rederived> {
  return (await rederiveMany(tx, [r], r.source))[0]!;
}

/**
 * Re-derives several persons' periods, each from its `from`, under one change (`source`): the same
 * statements for a page of persons as for one (replace, read back, closed months, settled amounts).
 */
export async function rederiveMany(tx: Tx, rs: readonly RederiveInput[], source: string): Promise<Rederived[]> {
  if (!rs.length) return [];
  const ids = rs.map((r) => r.personId);
  await store.replacePeriodsFrom(tx, rs.map((r) => ({ personId: r.personId, from: r.from, drafts: derivePeriods(r.timeline, r.from, r.extra, r.quotes) })), source, randomUUID);
  const earliest = rs.reduce((m, r) => (r.from < m ? r.from : m), rs[0]!.from);
  const [all, closed] = await Promise.all([store.currentTermsOfMany(tx, ids), store.closedMonths(tx, earliest)]);
  const settled = closed.length ? await store.settledAmounts(tx, ids, earliest) : new Map<string, Map<string, bigint>>();
  return rs.map((r) => {
    const periods = all.get(r.personId)!;
    const fallback = periods[0]?.category ?? r.fallbackCategory;
    const mine = closed.filter((m) => m >= r.from);
    const adjustments = diffLines(periods.map(store.periodTerms), r.from, r.timeline.historyFrom, mine, settled.get(r.personId) ?? new Map()).map((l): store.NewAdjustment => {
      const cat = periods.find((p) => p.benefit === l.benefit && p.from_month <= l.month && (p.to_month === null || p.to_month >= l.month))?.category;
      return { id: randomUUID(), personId: r.personId, benefit: l.benefit, month: l.month, source: r.lineSource ?? r.source, kind: l.amountFen > 0n ? 'BACK_PAY' : 'OVERPAYMENT', amountFen: l.amountFen, category: cat ?? fallback };
    });
    return { periods, adjustments };
  });
}

export interface BenefitChange {
  personId: string;
  masked: string;
  /** The change request id the periods and lines reference. */
  source: string;
  /** BenefitChanged.source, e.g. `change:<id>`. */
  eventSource: string;
  from: YearMonth;
  periods: readonly store.CurrentPeriod[];
  backPay: bigint;
  overpayment: bigint;
  funeral: bigint;
}

/** Writes BenefitChanged for a re-derivation: the periods from `from` on and the lines' totals. */
export async function recordBenefitChanged(tx: Tx, e: BenefitChange): Promise<void> {
  await enqueue(tx, { topic: PERSONS_TOPIC, aggregateId: e.personId, type: benefitChanged, data: benefitChangedData(e) });
}

/** BenefitChanged of several persons at once (one statement; each person's aggregate lock taken). */
export async function recordBenefitChangedMany(tx: Tx, es: readonly BenefitChange[]): Promise<void> {
  await enqueueMany(tx, PERSONS_TOPIC, benefitChanged, es.map((e) => ({ aggregateId: e.personId, data: benefitChangedData(e) })));
}

function benefitChangedData(e: BenefitChange) {
  const fromNow = e.periods.filter((p) => p.to_month === null || p.to_month >= e.from);
  return {
    personId: e.personId,
    nationalIdMasked: e.masked,
    changeId: e.source,
    fromMonth: toPbMonth(e.from),
    periods: fromNow.map((p) => ({
      benefit: enums.benefit.toNumber(p.benefit),
      fromMonth: toPbMonth(p.from_month),
      ...(p.to_month ? { toMonth: toPbMonth(p.to_month) } : {}),
      monthlyAmount: money(p.monthly_fen),
    })),
    backPay: money(e.backPay),
    overpayment: money(e.overpayment),
    funeralSubsidy: money(e.funeral),
    source: e.eventSource,
  };
}
