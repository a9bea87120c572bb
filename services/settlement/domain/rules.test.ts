import { describe, expect, it } from 'vitest';
import { applyCap, chooseRule, defaultRule, ruleKeys, uncappedSubsidy, type BillAmounts, type RuleSet } from './rules';

const bill = (o: Partial<BillAmounts> = {}): BillAmounts => ({
  totalCost: 1_000_000n,
  inScopeCost: 900_000n,
  basicInsurance: 500_000n,
  seriousIllnessInsurance: 0n,
  largeExpenseSubsidy: 0n,
  civilServantSubsidy: 0n,
  enterpriseSupplementary: 0n,
  otherFunds: 0n,
  medicalAssistance: 0n,
  hospitalWaiver: 0n,
  ...o,
});

describe('settlement rules (domain.md §3)', () => {
  it.each([
    ['DISABLED_SERVICEMAN', 1, 'INPATIENT', '350100', 10_000, null],
    ['DISABLED_SERVICEMAN', 6, 'OUTPATIENT', '350100', 10_000, null],
    ['DISABLED_SERVICEMAN', 7, 'INPATIENT', '610200', 8000, 3_000_000n],
    ['DISABLED_SERVICEMAN', 10, 'OUTPATIENT', '610200', 6000, 3_000_000n],
    ['MARTYR_SURVIVOR', 0, 'INPATIENT', '610200', 8000, 3_000_000n],
    ['WAR_OR_TEST_VETERAN', 0, 'OUTPATIENT', '610200', 6000, 3_000_000n],
  ] as const)('default for %s grade %i %s: fund %s at %i bp, cap %s', (category, grade, visit, fund, ratioBp, capFen) => {
    expect(defaultRule({ category, grade }, visit)).toEqual({ fund, ratioBp, capFen, version: 'default' });
  });

  it('looks a grade up under its own key first, then the category’s', () => {
    expect(ruleKeys({ category: 'DISABLED_SERVICEMAN', grade: 8 }, 'INPATIENT')).toEqual([
      'settlement.rule.DISABLED_SERVICEMAN.g8.INPATIENT',
      'settlement.rule.DISABLED_SERVICEMAN.g0.INPATIENT',
    ]);
    // Grades 1–6 keep their own default (350100) unless their own key says otherwise.
    expect(ruleKeys({ category: 'DISABLED_SERVICEMAN', grade: 3 }, 'INPATIENT')).toEqual(['settlement.rule.DISABLED_SERVICEMAN.g3.INPATIENT']);
    expect(ruleKeys({ category: 'MARTYR_SURVIVOR', grade: 0 }, 'OUTPATIENT')).toEqual(['settlement.rule.MARTYR_SURVIVOR.g0.OUTPATIENT']);
  });

  it.each([
    // remaining, ratio, expected (round half up to the fen)
    [400_000n, 8000, 320_000n],
    [1n, 8000, 1n], // 0.8 → 1
    [5n, 6000, 3n], // 3.0
    [3n, 5000, 2n], // 1.5 → 2
    [1n, 4999, 0n], // 0.4999 → 0
    [0n, 8000, 0n],
    [-5000n, 8000, 0n], // payers above the in-scope cost: nothing, not an error
  ])('remaining %i × %i bp → %i', (remaining, ratioBp, expected) => {
    expect(uncappedSubsidy(bill({ inScopeCost: 500_000n + remaining }), ratioBp)).toBe(expected);
  });

  it('deducts every payer before us', () => {
    const b = bill({ seriousIllnessInsurance: 10_000n, largeExpenseSubsidy: 20_000n, civilServantSubsidy: 30_000n, enterpriseSupplementary: 40_000n, otherFunds: 50_000n, medicalAssistance: 60_000n, hospitalWaiver: 70_000n });
    // 900,000 − (500,000 + 280,000) = 120,000 × 80% = 96,000
    expect(uncappedSubsidy(b, 8000)).toBe(96_000n);
    const s = applyCap(b, defaultRule({ category: 'MARTYR_SURVIVOR', grade: 0 }, 'INPATIENT'), 96_000n, 0n);
    expect(s.patientPays).toBe(1_000_000n - 780_000n - 96_000n);
    expect(s.trace).toBe('in-scope 9000.00 − paid before 7800.00 = 1200.00; × 80% = 960.00; annual cap 30000.00, left before this bill 30000.00; fund 610200 pays 960.00');
  });

  const capped: RuleSet = { fund: '610200', ratioBp: 8000, capFen: 3_000_000n, version: 'default' };
  it.each([
    // uncapped, used before → paid, used after, left after
    [320_000n, 0n, 320_000n, 320_000n, 2_680_000n],
    [320_000n, 2_680_000n, 320_000n, 3_000_000n, 0n], // exactly to the cap
    [320_000n, 2_680_001n, 319_999n, 3_000_000n, 0n], // one fen over: capped
    [320_000n, 3_000_000n, 0n, 3_000_000n, 0n], // spent: 0, not refused
    [320_000n, 3_500_000n, 0n, 3_500_000n, 0n], // a lowered cap below what was used
  ])('cap: uncapped %i with %i used → pays %i', (uncapped, usedBefore, paid, usedAfter, leftAfter) => {
    const s = applyCap(bill(), capped, uncapped, usedBefore);
    expect([s.subsidy, s.capUsed, s.capLeft]).toEqual([paid, usedAfter, leftAfter]);
    expect(s.patientPays).toBe(1_000_000n - 500_000n - paid);
  });

  it('pays grades 1–6 without a cap and keeps their used amount at 0', () => {
    const s = applyCap(bill(), defaultRule({ category: 'DISABLED_SERVICEMAN', grade: 2 }, 'INPATIENT'), 400_000n, 0n);
    expect(s).toMatchObject({ fund: '350100', subsidy: 400_000n, capUsed: 0n, capLeft: null, patientPays: 100_000n });
    expect(s.trace).toContain('no annual cap');
  });

  it('with several identities prefers 350100, else the best ratio, then the larger cap', () => {
    const a: RuleSet = { fund: '610200', ratioBp: 8000, capFen: 3_000_000n, version: 'a' };
    const b: RuleSet = { fund: '610200', ratioBp: 9000, capFen: 1_000_000n, version: 'b' };
    const c: RuleSet = { fund: '350100', ratioBp: 7000, capFen: null, version: 'c' };
    const d: RuleSet = { fund: '610200', ratioBp: 9000, capFen: null, version: 'd' };
    expect(chooseRule([a, b])!.version).toBe('b');
    expect(chooseRule([a, b, c])!.version).toBe('c');
    expect(chooseRule([b, d])!.version).toBe('d');
    expect(chooseRule([])).toBeUndefined();
  });
});
