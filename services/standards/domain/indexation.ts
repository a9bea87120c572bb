/** Indexed drafts (domain.md §2 "Raises"): a raise or increment per (category, cause, grade band), rounded half up to a unit. */
import { invalidArgument } from '../../lib/errors';
import { checkedFen, divRoundHalfUp, LIMITS, roundToUnit } from '../../lib/money';
import { describeKey, isAmountRule, type Category, type Cause, type Problem, type Row, type RowKey } from './keys';

export interface IndexationRule {
  category: Category;
  /** null = every cause. */
  cause: Cause | null;
  /** Grade band; both 0 = every grade. */
  gradeFrom: number;
  gradeTo: number;
  change: { kind: 'RAISE'; bp: number } | { kind: 'INCREMENT'; fen: bigint };
}

const everyGrade = (r: IndexationRule) => r.gradeFrom === 0 && r.gradeTo === 0;

/** True when the rule applies to a row key (amount rows only; shares are never indexed). */
export function matches(r: IndexationRule, k: RowKey): boolean {
  return (
    r.category === k.category &&
    (r.cause === null || r.cause === k.cause) &&
    (everyGrade(r) || (k.disabilityGrade >= r.gradeFrom && k.disabilityGrade <= r.gradeTo))
  );
}

function overlap(a: IndexationRule, b: IndexationRule): boolean {
  if (a.category !== b.category) return false;
  if (a.cause && b.cause && a.cause !== b.cause) return false;
  if (everyGrade(a) || everyGrade(b)) return true;
  return a.gradeFrom <= b.gradeTo && b.gradeFrom <= a.gradeTo;
}

/** What is wrong with the rules: bad grade bands, cause or band on a category without them, overlapping rules. */
export function indexationRuleProblems(rules: IndexationRule[]): Problem[] {
  const out: Problem[] = [];
  rules.forEach((r, i) => {
    if (!everyGrade(r) && !(r.gradeFrom >= 1 && r.gradeFrom <= r.gradeTo && r.gradeTo <= 10))
      out.push({ path: [i, 'gradeFrom'], message: 'grade band must be 1 ≤ gradeFrom ≤ gradeTo ≤ 10, or both 0 for every grade' });
    if (r.category !== 'DISABLED_SERVICEMAN' && (r.cause || !everyGrade(r)))
      out.push({ path: [i, r.cause ? 'cause' : 'gradeFrom'], message: `only DISABLED_SERVICEMAN rules take a cause or grade band, not ${r.category}` });
    const j = rules.findIndex((o, n) => n < i && overlap(o, r));
    if (j >= 0) out.push({ path: [i], message: `overlaps rules[${j}]: each row may match one rule only` });
  });
  return out;
}

/** The changed amount, rounded half up to `unitFen` in one step (no double rounding). */
export function applyChange(fen: bigint, change: IndexationRule['change'], unitFen: bigint): bigint {
  if (change.kind === 'INCREMENT') return roundToUnit(fen + change.fen, unitFen);
  return divRoundHalfUp(fen * BigInt(10_000 + change.bp), 10_000n * unitFen) * unitFen;
}

/**
 * The rows of an indexed draft: every amount row a rule matches is changed and rounded; other rows
 * (and every share row) are copied unchanged. A rule matching no amount row, or a result ≤ 0, is
 * INVALID_ARGUMENT on that rule (`rules[i]`).
 */
export function indexRows(base: Row[], rules: IndexationRule[], unitFen: bigint): Row[] {
  const used = new Set<number>();
  const out = base.map((row) => {
    const i = isAmountRule(row.rule) ? rules.findIndex((r) => matches(r, row.key)) : -1;
    if (i < 0 || !isAmountRule(row.rule)) return row;
    used.add(i);
    const fen = applyChange(row.rule.fen, rules[i]!.change, unitFen);
    checkedFen(fen, `rules[${i}]`, LIMITS.annualFen);
    if (fen <= 0n) throw invalidArgument(`rules[${i}]`, `would make ${describeKey(row.key)} ${fen} fen; amounts must stay > 0`, 'AMOUNT_NOT_POSITIVE');
    return { key: row.key, rule: { ...row.rule, fen } };
  });
  const unused = rules.findIndex((_, i) => !used.has(i));
  if (unused >= 0) throw invalidArgument(`rules[${unused}]`, 'matches no amount row of the base version', 'RULE_MATCHES_NOTHING');
  return out;
}
