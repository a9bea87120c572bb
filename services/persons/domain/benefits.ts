import { addMonths, monthOf, type CivilDate, type YearMonth } from '../../lib/civil';
import {
  MONTHLY_BENEFITS,
  type Category,
  type DeathCause,
  type IdentitySpan,
  type MonthlyBenefit,
  type StatusEvent,
} from './types';

/**
 * Benefit periods and the lines that settle them (domain.md §2, "whole months" and "a person's
 * own change"). Pure: the caller fetches quotes from the standards service for the keys asked.
 *
 * The month rule: a month is paid at the best terms in force on any day of it. A start (approval,
 * resumption, a raise) therefore counts from the month of its date, while a stop or a cut (death,
 * suspension, transfer out, a grade lowered) counts from the month after — because an identity
 * or status span runs through the day of the change, and the replacing one starts that day.
 */

/** A run of days in which the person is in a paid status. `to` inclusive; null = open. */
export interface ActiveSpan {
  from: CivilDate;
  to: CivilDate | null;
}

/** Everything the periods depend on, besides the standards. */
export interface Timeline {
  /** First month Youfu pays (earlier months belong to a previous system). */
  historyFrom: YearMonth;
  active: ActiveSpan[];
  identities: IdentitySpan[];
}

/** What the standards answer for one identity in one month. Amounts in fen per month. */
export type Quote =
  | {
      ok: true;
      /** Periodic benefit per month without the nursing fee: round_half_up(annual / 12). */
      pensionFen: bigint;
      /** Nursing fee, when the identity has one (fen 0 and `missing` set when its index is not loaded). */
      nursing: { fen: bigint; missing: string[] } | null;
      versions: string[];
      /** Components of the periodic benefit that could not be computed. */
      missing: string[];
    }
  | { ok: false; reason: string };

/** The quote needed for one identity in one month (looked up on the month's first day). */
export interface QuoteKey {
  identityId: string;
  month: YearMonth;
}
export const quoteKey = (identityId: string, month: YearMonth) => `${identityId}@${month}`;
export type Quotes = ReadonlyMap<string, Quote>;

/** One benefit at one amount over a run of months. */
export interface PeriodDraft {
  benefit: MonthlyBenefit;
  from: YearMonth;
  /** Last month, inclusive; null = open-ended. */
  to: YearMonth | null;
  monthlyFen: bigint;
  identityId: string;
  category: Category;
  versions: string[];
  missing: string[];
}

/** Paid spans from status events (in recorded order): ACTIVE opens, any other status closes. */
export function activeSpans(events: readonly StatusEvent[]): ActiveSpan[] {
  const out: ActiveSpan[] = [];
  let open: CivilDate | null = null;
  for (const e of events) {
    if (e.status === 'ACTIVE') {
      if (open === null) open = e.date;
    } else if (open !== null) {
      out.push({ from: open, to: e.date });
      open = null;
    }
  }
  if (open !== null) out.push({ from: open, to: null });
  return out;
}

const coversMonth = (from: CivilDate, to: CivilDate | null, m: YearMonth) => monthOf(from) <= m && (to === null || monthOf(to) >= m);

/** Identities in force in month m while the person is paid; empty when nothing is due. */
export function identitiesDue(t: Timeline, m: YearMonth): IdentitySpan[] {
  if (m < t.historyFrom || !t.active.some((a) => coversMonth(a.from, a.to, m))) return [];
  return t.identities.filter((i) => coversMonth(i.from, i.to, m));
}

/**
 * Months at which terms may change, from `from` on: status and identity edges, the first month
 * paid, plus `extra` (months in which a standards version takes effect, and each January whose
 * previous-year index the nursing fee uses).
 */
export function segmentStarts(t: Timeline, from: YearMonth, extra: readonly YearMonth[]): YearMonth[] {
  const s = new Set<YearMonth>([from]);
  const add = (m: YearMonth) => {
    if (m > from) s.add(m);
  };
  add(t.historyFrom);
  for (const span of [...t.active, ...t.identities]) {
    add(monthOf(span.from));
    if (span.to) add(addMonths(monthOf(span.to), 1));
  }
  extra.forEach(add);
  return [...s].sort();
}

/** Months where terms may change besides the person's own edges: version months and Januaries up to `today`. */
export function extraBoundaries(versionMonths: readonly YearMonth[], from: YearMonth, todayMonth: YearMonth): YearMonth[] {
  const out = versionMonths.filter((m) => m > from);
  for (let y = Number(from.slice(0, 4)) + 1; `${y}-01` <= todayMonth; y++) out.push(`${y}-01`);
  return out;
}

/** The quotes `derivePeriods` will need. */
export function quoteKeysFor(t: Timeline, from: YearMonth, extra: readonly YearMonth[]): QuoteKey[] {
  const keys: QuoteKey[] = [];
  for (const m of segmentStarts(t, from, extra)) for (const i of identitiesDue(t, m)) keys.push({ identityId: i.id, month: m });
  return keys;
}

const total = (q: Quote) => (q.ok ? q.pensionFen + (q.nursing?.fen ?? 0n) : -1n);

/** The identity paid among several (就高): highest monthly total; ties → earliest, then id. */
export function choose(identities: readonly IdentitySpan[], quotes: Quotes, m: YearMonth): { identity: IdentitySpan; quote: Quote; failures: string[] } | undefined {
  let best: { identity: IdentitySpan; quote: Quote } | undefined;
  const failures: string[] = [];
  const sorted = [...identities].sort((a, b) => (a.from === b.from ? a.id.localeCompare(b.id) : a.from < b.from ? -1 : 1));
  for (const identity of sorted) {
    const quote = quotes.get(quoteKey(identity.id, m));
    if (!quote) throw new Error(`no quote for ${identity.id} in ${m}`);
    if (!quote.ok) failures.push(`${identity.attrs.category}: ${quote.reason}`);
    if (!best || total(quote) > total(best.quote)) best = { identity, quote };
  }
  return best && { ...best, failures };
}

function segmentDrafts(t: Timeline, m: YearMonth, quotes: Quotes): Omit<PeriodDraft, 'from' | 'to'>[] {
  const picked = choose(identitiesDue(t, m), quotes, m);
  if (!picked) return [];
  const { identity, quote, failures } = picked;
  const base = { identityId: identity.id, category: identity.attrs.category };
  if (!quote.ok) return [{ ...base, benefit: 'PENSION', monthlyFen: 0n, versions: [], missing: failures }];
  const others = failures; // identities that could not be looked up compete unheard: flag them
  const out: Omit<PeriodDraft, 'from' | 'to'>[] = [
    { ...base, benefit: 'PENSION', monthlyFen: quote.pensionFen, versions: quote.versions, missing: [...quote.missing, ...others] },
  ];
  if (quote.nursing) out.push({ ...base, benefit: 'NURSING_FEE', monthlyFen: quote.nursing.fen, versions: quote.versions, missing: quote.nursing.missing });
  return out;
}

const sameTerms = (a: PeriodDraft, b: Omit<PeriodDraft, 'from' | 'to'>) =>
  a.monthlyFen === b.monthlyFen &&
  a.identityId === b.identityId &&
  a.versions.join() === b.versions.join() &&
  a.missing.join() === b.missing.join();

/**
 * Benefit periods from month `from` on (earlier months are left as they are). Consecutive months
 * with the same terms form one period; the last one is open-ended when nothing ends it.
 */
export function derivePeriods(t: Timeline, from: YearMonth, extra: readonly YearMonth[], quotes: Quotes): PeriodDraft[] {
  const starts = segmentStarts(t, from, extra);
  const open = new Map<MonthlyBenefit, PeriodDraft>();
  const out: PeriodDraft[] = [];
  starts.forEach((m, i) => {
    const next = starts[i + 1];
    const to = next ? addMonths(next, -1) : null;
    const drafts = segmentDrafts(t, m, quotes);
    for (const b of MONTHLY_BENEFITS) {
      const d = drafts.find((x) => x.benefit === b);
      const prev = open.get(b);
      if (d && prev && prev.to === addMonths(m, -1) && sameTerms(prev, d)) {
        prev.to = to;
      } else if (d) {
        const p: PeriodDraft = { ...d, from: m, to };
        out.push(p);
        open.set(b, p);
      } else open.delete(b);
    }
  });
  return out.sort((a, b) => (a.benefit === b.benefit ? (a.from < b.from ? -1 : 1) : a.benefit < b.benefit ? -1 : 1));
}

/** A stored period as the diff needs it. */
export interface PeriodTerms {
  benefit: MonthlyBenefit;
  from: YearMonth;
  to: YearMonth | null;
  monthlyFen: bigint;
}

/** Amount due for a benefit in a month under the given (current) periods. */
export function dueIn(periods: readonly PeriodTerms[], benefit: MonthlyBenefit, m: YearMonth): bigint {
  const p = periods.find((x) => x.benefit === benefit && x.from <= m && (x.to === null || x.to >= m));
  return p?.monthlyFen ?? 0n;
}

export const paidKey = (benefit: MonthlyBenefit, month: YearMonth) => `${benefit}|${month}`;

/** A back-pay (> 0) or overpayment (< 0) amount for one benefit and month. */
export interface DiffLine {
  benefit: MonthlyBenefit;
  month: YearMonth;
  amountFen: bigint;
}

/**
 * Differences for months already closed by a payroll: due under `periods` minus what was already
 * settled for that month (`paid`: the payroll's regular line plus earlier back-pay / overpayment
 * lines, keyed by `paidKey`). Only months from `from` and from `historyFrom` on are looked at.
 */
export function diffLines(
  periods: readonly PeriodTerms[],
  from: YearMonth,
  historyFrom: YearMonth,
  closedMonths: readonly YearMonth[],
  paid: ReadonlyMap<string, bigint>,
): DiffLine[] {
  const out: DiffLine[] = [];
  for (const m of [...closedMonths].sort()) {
    if (m < from || m < historyFrom) continue;
    for (const b of MONTHLY_BENEFITS) {
      const diff = dueIn(periods, b, m) - (paid.get(paidKey(b, m)) ?? 0n);
      if (diff !== 0n) out.push({ benefit: b, month: m, amountFen: diff });
    }
  }
  return out;
}

/** Keys for the funeral subsidy: every identity held in the month of death. */
export function funeralQuoteKeys(t: Timeline, deathMonth: YearMonth): QuoteKey[] {
  return t.identities.filter((i) => coversMonth(i.from, i.to, deathMonth)).map((i) => ({ identityId: i.id, month: deathMonth }));
}

/**
 * The one-off funeral subsidy: 6 × the monthly periodic benefit without nursing fee of the month
 * of death (the identity paid, i.e. the higher one); 12 × for a disabled serviceman who died of
 * illness. Undefined when no benefit can be computed for that month.
 */
export function funeralSubsidy(t: Timeline, deathMonth: YearMonth, cause: DeathCause, quotes: Quotes): { fen: bigint; multiple: 6 | 12; identityId: string; category: Category } | undefined {
  const held = t.identities.filter((i) => coversMonth(i.from, i.to, deathMonth));
  const picked = choose(held, quotes, deathMonth);
  if (!picked || !picked.quote.ok) return undefined;
  const multiple = cause === 'ILLNESS' && held.some((i) => i.attrs.category === 'DISABLED_SERVICEMAN') ? 12 : 6;
  return { fen: picked.quote.pensionFen * BigInt(multiple), multiple, identityId: picked.identity.id, category: picked.identity.attrs.category };
}

/** A stored or derived period as terms. */
const termsOf = (d: PeriodDraft): PeriodTerms => ({ benefit: d.benefit, from: d.from, to: d.to, monthlyFen: d.monthlyFen });

/**
 * An annual raise for months the previous system paid (before `historyFrom`, e.g. an import's
 * `paid_through`): new minus old due, raises only, for effective ≤ m < min(historyFrom, payroll).
 * The timeline is read as if paid from `effective` (periods are derived with both quote sets).
 */
export function preHistoryRaises(t: Timeline, effective: YearMonth, payroll: YearMonth, extra: readonly YearMonth[], oldQuotes: Quotes, newQuotes: Quotes): DiffLine[] {
  if (effective >= t.historyFrom) return [];
  const early = { ...t, historyFrom: effective };
  const before = derivePeriods(early, effective, extra, oldQuotes).map(termsOf);
  const after = derivePeriods(early, effective, extra, newQuotes).map(termsOf);
  const end = t.historyFrom < payroll ? t.historyFrom : payroll;
  const out: DiffLine[] = [];
  for (let m = effective; m < end; m = addMonths(m, 1)) {
    for (const b of MONTHLY_BENEFITS) {
      const d = dueIn(after, b, m) - dueIn(before, b, m);
      if (d > 0n) out.push({ benefit: b, month: m, amountFen: d });
    }
  }
  return out;
}

/** The quotes `preHistoryRaises` needs (none when `effective` is not before `historyFrom`). */
export function preHistoryKeys(t: Timeline, effective: YearMonth, extra: readonly YearMonth[]): QuoteKey[] {
  return effective < t.historyFrom ? quoteKeysFor({ ...t, historyFrom: effective }, effective, extra) : [];
}

/**
 * The funeral subsidy's top-up for a raise in force in the month of death: 6 or 12 × the pension
 * difference. When Youfu paid the subsidy (death from `historyFrom` on) it is the new subsidy
 * minus what was recorded (nothing when nothing was: it could not be computed then); before, the
 * new minus the old subsidy (the previous system paid the old one). Never negative.
 */
export function funeralTopUp(t: Timeline, deathMonth: YearMonth, cause: DeathCause, oldQuotes: Quotes, newQuotes: Quotes, recordedFen: bigint): bigint {
  const now = funeralSubsidy(t, deathMonth, cause, newQuotes)?.fen ?? 0n;
  const was = deathMonth >= t.historyFrom ? (recordedFen > 0n ? recordedFen : now) : (funeralSubsidy(t, deathMonth, cause, oldQuotes)?.fen ?? now);
  return now > was ? now - was : 0n;
}

/**
 * The lines an annual adjustment writes for a closed month (domain.md §2): the re-derivation's
 * differences (`diffLines`) that are raises. A decrease writes nothing — it is never clawed back.
 */
export const raisesOnly = <L extends { amountFen: bigint }>(lines: readonly L[]): L[] => lines.filter((l) => l.amountFen > 0n);

/** What a standards change would do to one person (the annual adjustment's simulation). */
export interface Impact {
  /** Due in the payroll month P under the current periods, all monthly benefits, fen. */
  oldMonthlyFen: bigint;
  /** Due in P under the simulated periods. */
  newMonthlyFen: bigint;
  /** Σ over months from ≤ m < P of max(0, simulated − current), per benefit: raises paid back, decreases never clawed back. */
  backPayFen: bigint;
  /** Back pay plus the funeral top-up plus Σ over P ≤ m ≤ December of P's year of (simulated − current): the budget change to December. */
  budgetToDecemberFen: bigint;
  /** The funeral subsidy's top-up (funeralTopUp). */
  funeralTopUpFen: bigint;
}

/**
 * The impact of simulated periods (derived with a candidate standards version from `from`) against
 * the current ones, for a payroll month `payroll` (the first paying the new rate and the back pay).
 */
export function impactOf(
  current: readonly PeriodTerms[],
  simulated: readonly PeriodTerms[],
  from: YearMonth,
  payroll: YearMonth,
  extra: { preHistory?: readonly DiffLine[]; funeralTopUpFen?: bigint } = {},
): Impact {
  const due = (ps: readonly PeriodTerms[], m: YearMonth) => MONTHLY_BENEFITS.reduce((s, b) => s + dueIn(ps, b, m), 0n);
  let backPay = (extra.preHistory ?? []).reduce((sum, l) => sum + l.amountFen, 0n);
  for (let m = from; m < payroll; m = addMonths(m, 1)) {
    for (const b of MONTHLY_BENEFITS) {
      const d = dueIn(simulated, b, m) - dueIn(current, b, m);
      if (d > 0n) backPay += d;
    }
  }
  let rest = 0n;
  for (let m = payroll; m <= `${payroll.slice(0, 4)}-12`; m = addMonths(m, 1)) rest += due(simulated, m) - due(current, m);
  const funeral = extra.funeralTopUpFen ?? 0n;
  return { oldMonthlyFen: due(current, payroll), newMonthlyFen: due(simulated, payroll), backPayFen: backPay, budgetToDecemberFen: backPay + funeral + rest, funeralTopUpFen: funeral };
}
