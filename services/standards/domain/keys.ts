/** The vocabulary of standards rows: keys (category + the attributes that decide the amount) and rules. */

export { CATEGORIES, CAUSES, PERIODS, MAX_ILLNESS_GRADE } from '../../lib/entitlement';
export type { Category, Cause } from '../../lib/entitlement';
import { LIMITS } from '../../lib/money';
import type { Category, Cause, EnlistmentPeriod } from '../../lib/entitlement';
import { MAX_ILLNESS_GRADE } from '../../lib/entitlement';
export type Period = EnlistmentPeriod;

export const COMPONENTS = ['PERIODIC_BENEFIT', 'NURSING_FEE'] as const;
export type Component = (typeof COMPONENTS)[number];


/** What a row applies to. Attributes a category does not use are null / 0. */
export interface RowKey {
  category: Category;
  cause: Cause | null;
  /** 1 (worst)..10 for DISABLED_SERVICEMAN; 0 otherwise. */
  disabilityGrade: number;
  enlistmentPeriod: Period | null;
  component: Component;
}

/** How a row's amount is computed. Amount rules add up across layers; share rules do not. */
export type Rule =
  /** Flat annual amount, fen per year. */
  | { kind: 'ANNUAL_AMOUNT'; fen: bigint }
  /** Fen per year per whole year of conscript service (RURAL_VETERAN_60). */
  | { kind: 'PER_SERVICE_YEAR_AMOUNT'; fen: bigint }
  /** Nursing fee: basis points of the local previous-year average monthly wage. */
  | { kind: 'NURSING_FEE_SHARE'; bp: number; requiresMentalDisorder: boolean }
  /** Annual allowance: basis points of the local previous-year per-capita disposable income. */
  | { kind: 'INCOME_SHARE'; bp: number };
export type RuleKind = Rule['kind'];

export interface Row {
  key: RowKey;
  rule: Rule;
}

export const isAmountRule = (r: Rule): r is Extract<Rule, { fen: bigint }> => r.kind === 'ANNUAL_AMOUNT' || r.kind === 'PER_SERVICE_YEAR_AMOUNT';

/** A stable string form of a key, for maps, ordering and messages. */
export function keyString(k: RowKey): string {
  return [k.category, k.cause ?? '-', String(k.disabilityGrade).padStart(2, '0'), k.enlistmentPeriod ?? '-', k.component].join('/');
}

/** Human-readable key, e.g. `DISABLED_SERVICEMAN ILLNESS grade 7 (PERIODIC_BENEFIT)`. */
export function describeKey(k: RowKey): string {
  const parts: string[] = [k.category];
  if (k.cause) parts.push(k.cause);
  if (k.disabilityGrade) parts.push(`grade ${k.disabilityGrade}`);
  if (k.enlistmentPeriod) parts.push(k.enlistmentPeriod);
  return `${parts.join(' ')} (${k.component})`;
}

/** The key of a category's periodic benefit or nursing fee for an identity's attributes. */
export function keyFor(a: Omit<RowKey, 'component'>, component: Component): RowKey {
  return { category: a.category, cause: a.cause, disabilityGrade: a.disabilityGrade, enlistmentPeriod: a.enlistmentPeriod, component };
}

/** A problem with a field, by its path relative to the object checked (field names as in the proto). */
export interface Problem {
  path: (string | number)[];
  message: string;
}

/**
 * What is wrong with a key's attributes for its category (domain.md §1): a disabled serviceman has a
 * cause and a grade 1..10 (ILLNESS only 1..6); a demobilised rural veteran has an enlistment period;
 * attributes a category does not use must be empty. Field names follow RowKey / EntitlementAttributes.
 */
export function attributeProblems(k: Omit<RowKey, 'component'>): Problem[] {
  const out: Problem[] = [];
  const disabled = k.category === 'DISABLED_SERVICEMAN';
  if (disabled) {
    if (!k.cause) out.push({ path: ['cause'], message: 'a disabled serviceman needs a cause (WAR, DUTY or ILLNESS)' });
    if (k.disabilityGrade < 1 || k.disabilityGrade > 10) out.push({ path: ['disabilityGrade'], message: 'disability grade must be 1..10' });
    else if (k.cause === 'ILLNESS' && k.disabilityGrade > MAX_ILLNESS_GRADE)
      out.push({ path: ['disabilityGrade'], message: `cause ILLNESS is pensioned only at grades 1..${MAX_ILLNESS_GRADE}` });
  } else {
    if (k.cause) out.push({ path: ['cause'], message: `only DISABLED_SERVICEMAN has a cause, not ${k.category}` });
    if (k.disabilityGrade !== 0) out.push({ path: ['disabilityGrade'], message: `only DISABLED_SERVICEMAN has a disability grade, not ${k.category}` });
  }
  if (k.category === 'DEMOBILIZED_RURAL') {
    if (!k.enlistmentPeriod) out.push({ path: ['enlistmentPeriod'], message: 'a demobilised rural veteran needs an enlistment period' });
  } else if (k.enlistmentPeriod) {
    out.push({ path: ['enlistmentPeriod'], message: `only DEMOBILIZED_RURAL has an enlistment period, not ${k.category}` });
  }
  return out;
}

/** The one rule kind a key may carry. */
export function ruleKindFor(k: Pick<RowKey, 'category' | 'component'>): RuleKind {
  if (k.component === 'NURSING_FEE') return 'NURSING_FEE_SHARE';
  if (k.category === 'RURAL_VETERAN_60') return 'PER_SERVICE_YEAR_AMOUNT';
  if (k.category === 'CONSCRIPT_FAMILY') return 'INCOME_SHARE';
  return 'ANNUAL_AMOUNT';
}

/** What is wrong with a row key (attributes, and a nursing fee only for disabled servicemen). */
export function keyProblems(k: RowKey): Problem[] {
  const out = attributeProblems(k);
  if (k.component === 'NURSING_FEE' && k.category !== 'DISABLED_SERVICEMAN')
    out.push({ path: ['component'], message: 'only DISABLED_SERVICEMAN has a nursing fee' });
  return out;
}

/** What is wrong with a row: its key, a rule of the wrong kind for the key, amounts ≤ 0, shares outside 1..10000 bp. */
export function rowProblems(r: Row): Problem[] {
  const out = keyProblems(r.key).map((p) => ({ ...p, path: ['key', ...p.path] }));
  const want = ruleKindFor(r.key);
  if (r.rule.kind !== want) out.push({ path: ['rule'], message: `${describeKey(r.key)} takes a ${want} rule, not ${r.rule.kind}` });
  else if (isAmountRule(r.rule)) {
    if (r.rule.fen <= 0n) out.push({ path: RULE_VALUE_PATH[r.rule.kind], message: 'amount must be > 0 fen' });
    else if (r.rule.fen > LIMITS.annualFen) out.push({ path: RULE_VALUE_PATH[r.rule.kind], message: `amount must be ≤ ${LIMITS.annualFen} fen (10,000,000 yuan)` });
  } else if (r.rule.bp < 1 || r.rule.bp > 10_000) {
    out.push({ path: RULE_VALUE_PATH[r.rule.kind], message: 'share must be 1..10000 basis points' });
  }
  return out;
}

/** Where each rule's value sits in a StandardRow message. */
const RULE_VALUE_PATH: Record<RuleKind, string[]> = {
  ANNUAL_AMOUNT: ['annualAmount', 'fen'],
  PER_SERVICE_YEAR_AMOUNT: ['perServiceYearAmount', 'fen'],
  NURSING_FEE_SHARE: ['nursingFeeShare', 'basisPoints'],
  INCOME_SHARE: ['incomeShareBasisPoints'],
};

export function sameRule(a: Rule, b: Rule): boolean {
  if (a.kind !== b.kind) return false;
  if (isAmountRule(a)) return a.fen === (b as typeof a).fen;
  if (a.kind === 'NURSING_FEE_SHARE') return a.bp === (b as typeof a).bp && a.requiresMentalDisorder === (b as typeof a).requiresMentalDisorder;
  return a.bp === (b as typeof a).bp;
}

/** Rows in key order. */
export const sortRows = <T extends { key: RowKey }>(rows: T[]): T[] => [...rows].sort((a, b) => (keyString(a.key) < keyString(b.key) ? -1 : 1));
