/**
 * The settlement rules of domain.md §3, pure (the settlement workflow runs them): which fund pays,
 * at which ratio, within which annual cap, and what the patient pays. Money is integer fen.
 *
 *   remaining    = in_scope − every payer before us
 *   subsidy      = min(round_half_up(max(remaining, 0) × ratio), cap_left)
 *   patient_pays = total − every payer before us − subsidy
 */
import { applyBasisPoints, formatYuan } from '../../lib/money';

export const FUNDS = ['350100', '610200'] as const;
export type Fund = (typeof FUNDS)[number];
export const VISITS = ['INPATIENT', 'OUTPATIENT'] as const;

/** Why a bill is refused (FAILED_PRECONDITION), as hospitals see it; the detailed reason stays with staff. */
export const REJECTIONS = {
  NOT_REGISTERED: 'the patient is not in the preferential-care registry',
  NAME_MISMATCH: 'the name does not match the registered name of this ID number',
  NOT_ENTITLED: 'the patient is not entitled to the preferential-care medical subsidy on the discharge date',
} as const;
export type Rejection = keyof typeof REJECTIONS;
export type Visit = (typeof VISITS)[number];

/** A ratio and an annual cap for a category × grade × visit type, in force from a date. */
export interface RuleSet {
  fund: Fund;
  ratioBp: number;
  /** Per person per calendar year; null = no cap. */
  capFen: bigint | null;
  /** `default`, or the id of the proposal that approved it. */
  version: string;
}

/** One identity the person holds on the discharge date. */
export interface Held {
  category: string;
  /** Disability grade 1..10; 0 for other categories. */
  grade: number;
}

/** The default annual cap of fund 610200: 30,000 yuan per person per calendar year. */
export const DEFAULT_CAP_FEN = 3_000_000n;

/**
 * The shipped defaults (domain.md §3, "our defaults"): disabled servicemen of grades 1–6 have their
 * costs guaranteed (fund 350100, 100%, no cap); everyone else fund 610200 at 80% inpatient / 60%
 * outpatient within 30,000 yuan a year.
 */
export function defaultRule(h: Held, visit: Visit): RuleSet {
  if (h.category === 'DISABLED_SERVICEMAN' && h.grade >= 1 && h.grade <= 6) return { fund: '350100', ratioBp: 10_000, capFen: null, version: 'default' };
  return { fund: '610200', ratioBp: visit === 'INPATIENT' ? 8000 : 6000, capFen: DEFAULT_CAP_FEN, version: 'default' };
}

/**
 * The setting keys a held identity's rule is looked up under, most specific first: the grade's
 * own (disabled servicemen), then the category's for every grade (`g0`). Grades 1–6 have a default
 * of their own (350100), so only their own key replaces it: a `g0` rule never downgrades them.
 */
export function ruleKeys(h: Held, visit: Visit): string[] {
  const any = `settlement.rule.${h.category}.g0.${visit}`;
  if (h.grade <= 0) return [any];
  const own = `settlement.rule.${h.category}.g${h.grade}.${visit}`;
  return defaultRule(h, visit).fund === '350100' ? [own] : [own, any];
}

/**
 * With several identities: any rule paying from 350100 wins (a disabled serviceman of grades 1–6);
 * otherwise the best ratio held, then the larger cap (no cap is largest).
 */
export function chooseRule(candidates: readonly RuleSet[]): RuleSet | undefined {
  const capRank = (r: RuleSet) => (r.capFen === null ? 2n ** 63n : r.capFen);
  return [...candidates].sort(
    (a, b) =>
      Number(b.fund === '350100') - Number(a.fund === '350100') || b.ratioBp - a.ratioBp || (capRank(b) > capRank(a) ? 1 : capRank(b) < capRank(a) ? -1 : 0),
  )[0];
}

/** What the hospital settled before us, fen (each ≥ 0; validated at the edge). */
export interface BillAmounts {
  totalCost: bigint;
  inScopeCost: bigint;
  basicInsurance: bigint;
  seriousIllnessInsurance: bigint;
  largeExpenseSubsidy: bigint;
  civilServantSubsidy: bigint;
  enterpriseSupplementary: bigint;
  otherFunds: bigint;
  medicalAssistance: bigint;
  hospitalWaiver: bigint;
}

/** The amounts of a bill, in the order they are validated, hashed and stored. */
export const AMOUNT_FIELDS = [
  'totalCost',
  'inScopeCost',
  'basicInsurance',
  'seriousIllnessInsurance',
  'largeExpenseSubsidy',
  'civilServantSubsidy',
  'enterpriseSupplementary',
  'otherFunds',
  'medicalAssistance',
  'hospitalWaiver',
] as const satisfies readonly (keyof BillAmounts)[];

/** Every payer before us, summed. */
export function paidBefore(b: BillAmounts): bigint {
  return (
    b.basicInsurance +
    b.seriousIllnessInsurance +
    b.largeExpenseSubsidy +
    b.civilServantSubsidy +
    b.enterpriseSupplementary +
    b.otherFunds +
    b.medicalAssistance +
    b.hospitalWaiver
  );
}

/** The in-scope cost left after every payer before us; may be negative (then we pay nothing). */
export const remainingOf = (b: BillAmounts): bigint => b.inScopeCost - paidBefore(b);

/** The subsidy before the cap: round_half_up(remaining × ratio), never below 0. */
export function uncappedSubsidy(b: BillAmounts, ratioBp: number): bigint {
  const r = remainingOf(b);
  return r > 0n ? applyBasisPoints(r, ratioBp) : 0n;
}

/** A settlement's figures. */
export interface Settled {
  fund: Fund;
  subsidy: bigint;
  patientPays: bigint;
  /** Cap used in the year after this bill (0 when uncapped). */
  capUsed: bigint;
  /** Cap left after this bill; null = no cap. */
  capLeft: bigint | null;
  trace: string;
}

/**
 * Applies the cap to the uncapped subsidy: pays min(uncapped, cap left), where `capUsedBefore` is
 * what the person's earlier bills of the year used. A spent cap pays 0; it is not a refusal.
 */
export function applyCap(b: BillAmounts, rule: RuleSet, uncapped: bigint, capUsedBefore: bigint): Settled {
  const leftBefore = rule.capFen === null ? null : rule.capFen > capUsedBefore ? rule.capFen - capUsedBefore : 0n;
  const subsidy = leftBefore === null || uncapped <= leftBefore ? uncapped : leftBefore;
  const before = paidBefore(b);
  const remaining = remainingOf(b);
  const capUsed = rule.capFen === null ? 0n : capUsedBefore + subsidy;
  const capLeft = leftBefore === null ? null : leftBefore - subsidy;
  const y = formatYuan;
  const trace =
    `in-scope ${y(b.inScopeCost)} − paid before ${y(before)} = ${y(remaining)}` +
    (remaining > 0n ? `; × ${rule.ratioBp / 100}% = ${y(uncapped)}` : '; nothing left in scope') +
    (leftBefore === null ? '; no annual cap' : `; annual cap ${y(rule.capFen!)}, left before this bill ${y(leftBefore)}`) +
    `; fund ${rule.fund} pays ${y(subsidy)}`;
  return { fund: rule.fund, subsidy, patientPays: b.totalCost - before - subsidy, capUsed, capLeft, trace };
}
