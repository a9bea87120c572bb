import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import { applyChange, indexationRuleProblems, indexRows, type IndexationRule } from './indexation';
import type { Row } from './keys';

const rule = (over: Partial<IndexationRule>): IndexationRule => ({ category: 'DISABLED_SERVICEMAN', cause: null, gradeFrom: 0, gradeTo: 0, change: { kind: 'RAISE', bp: 600 }, ...over });
const disabled = (cause: 'WAR' | 'DUTY' | 'ILLNESS', g: number, yuan: number): Row => ({
  key: { category: 'DISABLED_SERVICEMAN', cause, disabilityGrade: g, enlistmentPeriod: null, component: 'PERIODIC_BENEFIT' },
  rule: { kind: 'ANNUAL_AMOUNT', fen: BigInt(yuan) * 100n },
});
const nursing: Row = {
  key: { category: 'DISABLED_SERVICEMAN', cause: 'WAR', disabilityGrade: 1, enlistmentPeriod: null, component: 'NURSING_FEE' },
  rule: { kind: 'NURSING_FEE_SHARE', bp: 5000, requiresMentalDisorder: false },
};

describe('indexed drafts', () => {
  it('raises by basis points and rounds half up to the unit in one step', () => {
    // 116,270 yuan × 1.06 = 123,246.2 → 123,250 yuan
    expect(applyChange(11_627_000n, { kind: 'RAISE', bp: 600 }, 1000n)).toBe(12_325_000n);
    // 12,810 × 1.05 = 13,450.5 yuan: 1,345.05 units of 10 yuan → 13,450 yuan
    expect(applyChange(1_281_000n, { kind: 'RAISE', bp: 500 }, 1000n)).toBe(1_345_000n);
    // a result exactly halfway between two units rounds up: 1,005 fen → 1,010 at a 10-fen unit
    expect(applyChange(1_000n, { kind: 'INCREMENT', fen: 5n }, 10n)).toBe(1_010n);
    // no double rounding: 5,000 fen × 0.9989 = 4,994.5 fen → 4,990 (rounding to the fen first would give 4,995 → 5,000)
    expect(applyChange(5_000n, { kind: 'RAISE', bp: -11 }, 10n)).toBe(4_990n);
  });

  it('changes the amount rows each rule matches, keeps the rest and every share row', () => {
    const base = [disabled('WAR', 1, 116_270), disabled('WAR', 7, 34_780), disabled('ILLNESS', 2, 94_190), nursing];
    const out = indexRows(base, [rule({ gradeFrom: 1, gradeTo: 6 }), rule({ cause: 'WAR', gradeFrom: 7, gradeTo: 10, change: { kind: 'RAISE', bp: 500 } })], 1000n);
    expect(out.map((r) => ('fen' in r.rule ? r.rule.fen : r.rule.bp))).toEqual([12_325_000n, 3_652_000n, 9_984_000n, 5000]);
  });

  it('rejects a rule that matches nothing or would make an amount ≤ 0', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as AppError;
      }
      throw new Error('expected a failure');
    };
    expect(err(() => indexRows([disabled('WAR', 1, 100)], [rule({ category: 'MARTYR_SURVIVOR' })], 1000n)).violations[0]?.field).toBe('rules[0]');
    expect(err(() => indexRows([disabled('WAR', 1, 100)], [rule({ change: { kind: 'INCREMENT', fen: -10_000n } })], 1000n)).reason).toBe('AMOUNT_NOT_POSITIVE');
  });

  it('rejects overlapping rules and bad grade bands', () => {
    expect(indexationRuleProblems([rule({}), rule({ cause: 'WAR', gradeFrom: 7, gradeTo: 10 })]).map((p) => p.path)).toEqual([[1]]);
    expect(indexationRuleProblems([rule({ cause: 'WAR' }), rule({ cause: 'DUTY' })])).toEqual([]);
    expect(indexationRuleProblems([rule({ gradeFrom: 5, gradeTo: 3 })]).map((p) => p.path)).toEqual([[0, 'gradeFrom']]);
    expect(indexationRuleProblems([rule({ category: 'MARTYR_SURVIVOR', cause: 'WAR' })]).map((p) => p.path)).toEqual([[0, 'cause']]);
  });
});
