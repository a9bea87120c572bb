import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import type { Row } from './keys';
import { assertApprovable, assertDraft, assertNoDuplicateDate, assertRevision, cityOf, isCityCode, isFirstOfMonth, regionChain, regionProblem, type Version } from './versions';

const version = (over: Partial<Version> = {}): Version => ({
  id: 'v1',
  level: 'NATIONAL',
  regionCode: '',
  effectiveFrom: '2022-08-01',
  title: 't',
  documentNumber: '',
  source: 's',
  status: 'DRAFT',
  baseVersionId: null,
  correctsVersionId: null,
  supersededByVersionId: null,
  revision: 3n,
  createdBy: 'li',
  createdAt: new Date(0),
  editedBy: [],
  approvedBy: null,
  approvedAt: null,
  publishedBy: null,
  publishedAt: null,
  rowCount: 0,
  discardedBy: null,
  discardedAt: null,
  discardReason: null,
  ...over,
});
const row = (category: Row['key']['category'], fen: bigint): Row => ({
  key: { category, cause: null, disabilityGrade: 0, enlistmentPeriod: null, component: 'PERIODIC_BENEFIT' },
  rule: { kind: 'ANNUAL_AMOUNT', fen },
});
const failure = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a failure');
};

describe('versions', () => {
  it('starts only on the first day of a month', () => {
    expect(isFirstOfMonth('2022-08-01')).toBe(true);
    expect(isFirstOfMonth('2022-08-02')).toBe(false);
    expect(isFirstOfMonth('2022-02-30')).toBe(false);
  });

  it('checks regions: none for NATIONAL, a 6-digit code for LOCAL', () => {
    expect(regionProblem('NATIONAL', '')).toBeUndefined();
    expect(regionProblem('NATIONAL', '440100')).toBeDefined();
    for (const ok of ['440000', '440100', '440106']) expect(regionProblem('LOCAL', ok)).toBeUndefined();
    for (const bad of ['', '4401', '44010a', '000000']) expect(regionProblem('LOCAL', bad)).toBeDefined();
    expect(isCityCode('440100')).toBe(true);
    expect(isCityCode('440000')).toBe(false);
  });

  it('layers a district under its province and city, without repeats', () => {
    expect(regionChain('440106')).toEqual(['440000', '440100', '440106']);
    expect(regionChain('440100')).toEqual(['440000', '440100']);
    expect(cityOf('440106')).toBe('440100');
  });

  it('edits only drafts, at the expected revision', () => {
    expect(failure(() => assertDraft(version({ status: 'PUBLISHED' }))).reason).toBe('VERSION_NOT_DRAFT');
    expect(failure(() => assertRevision(version(), 2n)).kind).toBe('ABORTED');
    expect(() => assertRevision(version(), 3n)).not.toThrow();
  });

  it('refuses a second published version on the same date unless it corrects that one', () => {
    const existing = { id: 'p1', level: 'NATIONAL' as const, regionCode: '', effectiveFrom: '2022-08-01' };
    expect(failure(() => assertNoDuplicateDate(version(), existing)).reason).toBe('DUPLICATE_EFFECTIVE_DATE');
    expect(() => assertNoDuplicateDate(version({ correctsVersionId: 'p1' }), existing)).not.toThrow();
    expect(() => assertNoDuplicateDate(version(), undefined)).not.toThrow();
  });

  it('approves a non-empty draft only when it keeps every key of its base, naming the missing ones', () => {
    const base = [row('MARTYR_SURVIVOR', 1n), row('DUTY_DEATH_SURVIVOR', 2n)];
    const err = failure(() => assertApprovable(version({ baseVersionId: 'b' }), [row('MARTYR_SURVIVOR', 5n)], base));
    expect(err.reason).toBe('MISSING_BASE_KEY');
    expect(err.message).toContain('DUTY_DEATH_SURVIVOR');
    expect(failure(() => assertApprovable(version(), [], undefined)).reason).toBe('EMPTY_VERSION');
    expect(() => assertApprovable(version({ baseVersionId: 'b' }), [...base, row('ILLNESS_DEATH_SURVIVOR', 3n)], base)).not.toThrow();
  });
});
