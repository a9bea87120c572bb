import { describe, expect, it } from 'vitest';
import { describeKey, keyProblems, keyString, rowProblems, ruleKindFor, sameRule, type RowKey } from './keys';

const disabled = (cause: RowKey['cause'], disabilityGrade: number, component: RowKey['component'] = 'PERIODIC_BENEFIT'): RowKey => ({
  category: 'DISABLED_SERVICEMAN',
  cause,
  disabilityGrade,
  enlistmentPeriod: null,
  component,
});
const flat = (category: RowKey['category']): RowKey => ({ category, cause: null, disabilityGrade: 0, enlistmentPeriod: null, component: 'PERIODIC_BENEFIT' });

describe('row keys', () => {
  it('accepts grades 1..10 for WAR and DUTY and 1..6 for ILLNESS', () => {
    for (let g = 1; g <= 10; g++) {
      expect(keyProblems(disabled('WAR', g))).toEqual([]);
      expect(keyProblems(disabled('DUTY', g))).toEqual([]);
    }
    for (let g = 1; g <= 6; g++) expect(keyProblems(disabled('ILLNESS', g))).toEqual([]);
  });

  it('rejects ILLNESS at grades 7..10 on the grade field', () => {
    for (let g = 7; g <= 10; g++) expect(keyProblems(disabled('ILLNESS', g)).map((p) => p.path)).toEqual([['disabilityGrade']]);
  });

  it('needs a cause and a grade for a disabled serviceman, and nothing of the kind for others', () => {
    expect(keyProblems(disabled(null, 0)).map((p) => p.path)).toEqual([['cause'], ['disabilityGrade']]);
    expect(keyProblems({ ...flat('MARTYR_SURVIVOR'), cause: 'WAR', disabilityGrade: 2 }).map((p) => p.path)).toEqual([['cause'], ['disabilityGrade']]);
    expect(keyProblems(flat('DEMOBILIZED_RURAL')).map((p) => p.path)).toEqual([['enlistmentPeriod']]);
    expect(keyProblems({ ...flat('DEMOBILIZED_RURAL'), enlistmentPeriod: 'EARLY_PRC' })).toEqual([]);
    expect(keyProblems({ ...flat('MARTYR_SURVIVOR'), component: 'NURSING_FEE' }).map((p) => p.path)).toEqual([['component']]);
  });

  it('ties each key to one rule kind', () => {
    expect(ruleKindFor(disabled('WAR', 1, 'NURSING_FEE'))).toBe('NURSING_FEE_SHARE');
    expect(ruleKindFor(flat('RURAL_VETERAN_60'))).toBe('PER_SERVICE_YEAR_AMOUNT');
    expect(ruleKindFor(flat('CONSCRIPT_FAMILY'))).toBe('INCOME_SHARE');
    expect(ruleKindFor(flat('MARTYR_SURVIVOR'))).toBe('ANNUAL_AMOUNT');
  });

  it('rejects amounts ≤ 0, shares outside 1..10000 bp and rules of the wrong kind, with the field path', () => {
    expect(rowProblems({ key: flat('MARTYR_SURVIVOR'), rule: { kind: 'ANNUAL_AMOUNT', fen: 0n } }).map((p) => p.path)).toEqual([['annualAmount', 'fen']]);
    expect(rowProblems({ key: flat('RURAL_VETERAN_60'), rule: { kind: 'PER_SERVICE_YEAR_AMOUNT', fen: -1n } }).map((p) => p.path)).toEqual([['perServiceYearAmount', 'fen']]);
    expect(rowProblems({ key: disabled('WAR', 1, 'NURSING_FEE'), rule: { kind: 'NURSING_FEE_SHARE', bp: 10_001, requiresMentalDisorder: false } }).map((p) => p.path)).toEqual([
      ['nursingFeeShare', 'basisPoints'],
    ]);
    expect(rowProblems({ key: flat('CONSCRIPT_FAMILY'), rule: { kind: 'ANNUAL_AMOUNT', fen: 100n } }).map((p) => p.path)).toEqual([['rule']]);
    expect(rowProblems({ key: disabled('ILLNESS', 8), rule: { kind: 'ANNUAL_AMOUNT', fen: 100n } }).map((p) => p.path)).toEqual([['key', 'disabilityGrade']]);
  });

  it('names keys stably and readably', () => {
    expect(keyString(disabled('WAR', 3))).toBe('DISABLED_SERVICEMAN/WAR/03/-/PERIODIC_BENEFIT');
    expect(describeKey(disabled('ILLNESS', 5, 'NURSING_FEE'))).toBe('DISABLED_SERVICEMAN ILLNESS grade 5 (NURSING_FEE)');
    expect(sameRule({ kind: 'INCOME_SHARE', bp: 4500 }, { kind: 'INCOME_SHARE', bp: 4500 })).toBe(true);
    expect(sameRule({ kind: 'ANNUAL_AMOUNT', fen: 1n }, { kind: 'PER_SERVICE_YEAR_AMOUNT', fen: 1n })).toBe(false);
  });
});
