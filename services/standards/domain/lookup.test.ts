import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import type { Row, RowKey, Rule } from './keys';
import { computeBenefit, identityProblems, indexLookupOf, toTable, VersionsInForce, type Identity, type IndexLookup, type LookupQuery } from './lookup';
import type { VersionHead } from './versions';

const head = (id: string, effectiveFrom: string, regionCode = ''): VersionHead => ({ id, level: regionCode ? 'LOCAL' : 'NATIONAL', regionCode, effectiveFrom });
const key = (over: Partial<RowKey>): RowKey => ({ category: 'DISABLED_SERVICEMAN', cause: 'WAR', disabilityGrade: 1, enlistmentPeriod: null, component: 'PERIODIC_BENEFIT', ...over });
const row = (k: Partial<RowKey>, rule: Rule): Row => ({ key: key(k), rule });
const amount = (fen: bigint): Rule => ({ kind: 'ANNUAL_AMOUNT', fen });
const who = (over: Partial<Identity> = {}): Identity => ({ category: 'DISABLED_SERVICEMAN', cause: 'WAR', disabilityGrade: 1, enlistmentPeriod: null, serviceYears: 0, mentalDisorder: false, ...over });
const query = (identity: Identity, date = '2022-08-01', districtCode = '440106'): LookupQuery => ({ identity, districtCode, date });
const noIndex: IndexLookup = () => undefined;
const settings = { conscriptFamilyShareBp: 4500 };
const fail = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a failure');
};

const national = toTable(head('n22', '2022-08-01'), [
  row({}, amount(11_627_000n)),
  row({ component: 'NURSING_FEE' }, { kind: 'NURSING_FEE_SHARE', bp: 5000, requiresMentalDisorder: false }),
  row({ cause: 'ILLNESS', disabilityGrade: 5 }, amount(4_711_000n)),
  row({ cause: 'ILLNESS', disabilityGrade: 5, component: 'NURSING_FEE' }, { kind: 'NURSING_FEE_SHARE', bp: 2500, requiresMentalDisorder: true }),
  row({ category: 'RURAL_VETERAN_60', cause: null, disabilityGrade: 0 }, { kind: 'PER_SERVICE_YEAR_AMOUNT', fen: 68_800n }),
]);

describe('versions in force', () => {
  const inForce = new VersionsInForce([head('n21', '2021-08-01'), head('n22', '2022-08-01'), head('gz', '2022-01-01', '440100'), head('gd', '2023-01-01', '440000')]);

  it('picks, per level and region, the published version with the greatest effective date ≤ the date', () => {
    expect(inForce.at('NATIONAL', '', '2022-07-31')?.id).toBe('n21');
    expect(inForce.at('NATIONAL', '', '2022-08-01')?.id).toBe('n22');
    expect(inForce.layers('440106', '2022-08-01').map((v) => v.id)).toEqual(['n22', 'gz']);
    expect(inForce.layers('440106', '2023-01-01').map((v) => v.id)).toEqual(['n22', 'gd', 'gz']);
    expect(inForce.layers('450100', '2023-01-01').map((v) => v.id)).toEqual(['n22']);
  });

  it('fails before any national version', () => {
    expect(fail(() => inForce.layers('440106', '2021-07-31')).reason).toBe('NO_VERSION_IN_FORCE');
  });
});

describe('computeBenefit', () => {
  it('pays annual / 12 half up each month and reports a missing wage instead of inventing a nursing fee', () => {
    const b = computeBenefit(query(who()), [national], noIndex, settings);
    expect(b.annualFen).toBe(11_627_000n);
    expect(b.monthlyFen).toBe(968_917n); // 11,627,000 / 12 = 968,916.67
    expect(b.nursingFee?.monthlyFen).toBe(0n);
    expect(b.missing).toEqual([expect.objectContaining({ component: 'NURSING_FEE', index: 'AVERAGE_MONTHLY_WAGE', cityCode: '440100', year: 2021 })]);
  });

  it('rounds the monthly amount half up, once, on the annual total of all layers', () => {
    const one = (fen: bigint) => toTable(head('n', '2022-08-01'), [row({}, amount(fen))]);
    // 18 fen a year = 1.5 fen a month → 2; 30 → 2.5 → 3 (half up, not half even, not truncated)
    expect(computeBenefit(query(who()), [one(18n)], noIndex, settings).monthlyFen).toBe(2n);
    expect(computeBenefit(query(who()), [one(30n)], noIndex, settings).monthlyFen).toBe(3n);
    // 1,000,002 + 1,000,002 = 2,000,004 fen a year: / 12 = 166,667 exactly; rounding each layer first would give 83,334 × 2 = 166,668
    const city = toTable(head('gz', '2022-01-01', '440100'), [row({}, amount(1_000_002n))]);
    expect(computeBenefit(query(who()), [one(1_000_002n), city], noIndex, settings).monthlyFen).toBe(166_667n);
  });

  it('adds local top-ups and a nursing fee from the previous year’s wage of the district’s city', () => {
    const city = toTable(head('gz', '2022-01-01', '440100'), [row({}, amount(120_000n))]);
    const district = toTable(head('th', '2022-01-01', '440106'), [row({ category: 'MARTYR_SURVIVOR', cause: null, disabilityGrade: 0 }, amount(1n))]);
    const wage: IndexLookup = (kind, c, y) => (kind === 'AVERAGE_MONTHLY_WAGE' && c === '440100' && y === 2021 ? { fen: 1_234_567n, year: 2021 } : undefined);
    const b = computeBenefit(query(who()), [national, city, district], wage, settings);
    expect(b.layers.map((l) => l.annualFen)).toEqual([11_627_000n, 120_000n, 0n]);
    expect(b.annualFen).toBe(11_747_000n);
    expect(b.nursingFee).toMatchObject({ bp: 5000, monthlyWageFen: 1_234_567n, monthlyFen: 617_284n }); // 617,283.5 → half up
    expect(b.monthlyFen).toBe(978_917n + 617_284n);
    expect(b.missing).toEqual([]);
    expect(b.versionsUsed.map((v) => v.id)).toEqual(['n22', 'gz', 'th']);
  });

  it('uses the latest approved earlier year while the previous year’s wage is not approved, flagged provisional (never 0)', () => {
    const wages = indexLookupOf([
      { kind: 'AVERAGE_MONTHLY_WAGE', cityCode: '440100', year: 2020, fen: 1_100_000n },
      { kind: 'AVERAGE_MONTHLY_WAGE', cityCode: '440100', year: 2021, fen: 1_234_567n },
    ]);
    expect(wages('AVERAGE_MONTHLY_WAGE', '440100', 2021)).toEqual({ fen: 1_234_567n, year: 2021 });
    expect(wages('AVERAGE_MONTHLY_WAGE', '440100', 2023)).toEqual({ fen: 1_234_567n, year: 2021 });
    expect(wages('AVERAGE_MONTHLY_WAGE', '440100', 2019)).toBeUndefined();
    // A 2024 lookup needs 2023's wage: 2021's is used, the component flagged, nothing missing.
    const b = computeBenefit(query(who(), '2024-03-01'), [national], wages, settings);
    expect(b.nursingFee).toMatchObject({ monthlyWageFen: 1_234_567n, monthlyFen: 617_284n });
    expect(b.missing).toEqual([]);
    expect(b.provisional).toEqual([expect.objectContaining({ component: 'NURSING_FEE', index: 'AVERAGE_MONTHLY_WAGE', cityCode: '440100', year: 2023, usedYear: 2021 })]);
    expect(b.provisional[0]!.description).toContain('recomputes from 2024-01');
    expect(computeBenefit(query(who()), [national], wages, settings).provisional).toEqual([]);
  });

  it('gives the 25% nursing fee at ILLNESS grades 5–6 only with a recorded mental disorder', () => {
    const wage: IndexLookup = (_k, _c, y) => ({ fen: 1_000_000n, year: y });
    expect(computeBenefit(query(who({ cause: 'ILLNESS', disabilityGrade: 5 })), [national], wage, settings).nursingFee).toBeUndefined();
    const b = computeBenefit(query(who({ cause: 'ILLNESS', disabilityGrade: 5, mentalDisorder: true })), [national], wage, settings);
    expect(b.nursingFee?.monthlyFen).toBe(250_000n);
  });

  it('multiplies per-service-year rates by the years served', () => {
    const b = computeBenefit(query(who({ category: 'RURAL_VETERAN_60', cause: null, disabilityGrade: 0, serviceYears: 3 })), [national], noIndex, settings);
    expect(b.annualFen).toBe(206_400n);
    expect(b.layers[0]?.perServiceYearFen).toBe(68_800n);
  });

  it('fails for a key the national version lacks, naming it', () => {
    const err = fail(() => computeBenefit(query(who({ category: 'MARTYR_SURVIVOR', cause: null, disabilityGrade: 0 })), [national], noIndex, settings));
    expect(err.reason).toBe('NO_STANDARD_FOR_KEY');
    expect(err.message).toContain('MARTYR_SURVIVOR');
  });

  it('pays a conscript family a share of the previous year’s income: the most specific layer’s share, else the default', () => {
    const cf = who({ category: 'CONSCRIPT_FAMILY', cause: null, disabilityGrade: 0 });
    const income: IndexLookup = (kind, _c, y) => (kind === 'PER_CAPITA_DISPOSABLE_INCOME' && y === 2021 ? { fen: 7_497_500n, year: 2021 } : undefined);
    expect(computeBenefit(query(cf), [national], income, settings).annualFen).toBe(3_373_875n); // 45%
    const district = toTable(head('th', '2022-01-01', '440106'), [row({ category: 'CONSCRIPT_FAMILY', cause: null, disabilityGrade: 0 }, { kind: 'INCOME_SHARE', bp: 5000 })]);
    const b = computeBenefit(query(cf), [national, district], income, settings);
    expect(b.incomeShare).toMatchObject({ bp: 5000, shareVersion: { id: 'th' }, annualFen: 3_748_750n });
    const missing = computeBenefit(query(cf), [national], noIndex, settings);
    expect(missing.annualFen).toBe(0n);
    expect(missing.missing[0]).toMatchObject({ component: 'PERIODIC_BENEFIT', index: 'PER_CAPITA_DISPOSABLE_INCOME' });
  });

  it('checks identities: ILLNESS above grade 6 and a rural veteran without service years', () => {
    expect(identityProblems(who({ cause: 'ILLNESS', disabilityGrade: 7 })).map((p) => p.path)).toEqual([['disabilityGrade']]);
    expect(identityProblems(who({ category: 'RURAL_VETERAN_60', cause: null, disabilityGrade: 0 })).map((p) => p.path)).toEqual([['serviceYears']]);
  });
});
