import { describe, expect, it } from 'vitest';
import { idGenerator, makeId } from '../../../test/support/national-ids';
import { checkChange, type PersonState } from './changes';
import { eligibility } from './eligibility';
import { registrationViolations } from './rules';
import type { Attributes, Registration } from './types';

const TODAY = '2023-03-15';
const gen = idGenerator(11);
const dis = (grade: number, cause: Attributes['cause'] = 'WAR', extra: Partial<Attributes> = {}): Attributes => ({ category: 'DISABLED_SERVICEMAN', grade, cause, enlistmentPeriod: null, serviceYears: 0, mentalDisorder: false, ...extra });

function reg(o: Partial<Registration> = {}): Registration {
  const g = gen({ birthDate: '1958-04-12', gender: 'MALE' });
  return {
    nationalId: g.id,
    name: '李四',
    gender: 'MALE',
    birthDate: '1958-04-12',
    district: '440106',
    residence: 'URBAN',
    contact: { phone: '', address: '' },
    approvalDate: '2022-09-05',
    payee: { bank: '工商银行', accountNumber: '6222020000000000001', accountName: '李四' },
    identities: [{ attrs: dis(5), from: '2020-05-01' }],
    historyFrom: null,
    ...o,
  };
}
const codes = (r: Registration) => registrationViolations(r, TODAY).map((v) => `${v.field} ${v.reason}`);

describe('registration rules', () => {
  it('accepts a valid registration', () => expect(codes(reg())).toEqual([]));

  it('cross-checks birth date and gender with the ID number', () => {
    expect(codes(reg({ birthDate: '1958-04-13' }))).toEqual(['birthDate BIRTH_DATE_MISMATCH']);
    expect(codes(reg({ gender: 'FEMALE' }))).toEqual(['gender GENDER_MISMATCH']);
  });

  it('rejects a bad check character', () => {
    const id = makeId('440106', '1958-04-12', 13);
    expect(codes(reg({ nationalId: id.slice(0, 17) + (id[17] === '1' ? '2' : '1') }))).toEqual(['nationalId INVALID_CHECK_CHARACTER']);
  });

  it('checks grades against the category, with field paths', () => {
    expect(codes(reg({ identities: [{ attrs: dis(11), from: '2020-05-01' }] }))).toEqual(['identities[0].attributes.disabilityGrade GRADE_OUT_OF_RANGE']);
    expect(codes(reg({ identities: [{ attrs: dis(7, 'ILLNESS'), from: '2020-05-01' }] }))).toEqual(['identities[0].attributes.disabilityGrade GRADE_OUT_OF_RANGE']);
    expect(codes(reg({ identities: [{ attrs: dis(5, null), from: '2020-05-01' }] }))).toEqual(['identities[0].attributes.cause CAUSE_REQUIRED']);
    const survivor: Attributes = { category: 'MARTYR_SURVIVOR', grade: 3, cause: null, enlistmentPeriod: null, serviceYears: 0, mentalDisorder: false };
    expect(codes(reg({ identities: [{ attrs: survivor, from: '2020-05-01' }] }))).toEqual(['identities[0].attributes.disabilityGrade GRADE_OUT_OF_RANGE']);
  });

  it('requires rural residence and age 60 for rural veterans 60+, and service years', () => {
    const rv: Attributes = { category: 'RURAL_VETERAN_60', grade: 0, cause: null, enlistmentPeriod: null, serviceYears: 0, mentalDisorder: false };
    expect(codes(reg({ identities: [{ attrs: rv, from: '2017-01-01' }] }))).toEqual([
      'identities[0].attributes.serviceYears SERVICE_YEARS_OUT_OF_RANGE',
      'residence RESIDENCE_MISMATCH',
      'identities[0].effectiveFrom UNDER_AGE',
    ]);
    expect(codes(reg({ residence: 'RURAL', identities: [{ attrs: { ...rv, serviceYears: 3 }, from: '2018-04-12' }] }))).toEqual([]);
  });

  it('refuses future dates, missing identities and a bad payee account', () => {
    expect(codes(reg({ approvalDate: '2023-03-16' }))).toEqual(['approvalDate DATE_IN_FUTURE']);
    expect(codes(reg({ identities: [] }))).toEqual(['identities IDENTITY_REQUIRED']);
    expect(codes(reg({ payee: { bank: 'x', accountNumber: '12ab', accountName: 'y' } }))).toEqual(['payee.accountNumber INVALID_ACCOUNT']);
  });
});

describe('change rules', () => {
  const state = (o: Partial<PersonState> = {}): PersonState => ({
    id: 'p',
    birthDate: '1958-04-12',
    residence: 'URBAN',
    approvalDate: '2022-09-05',
    historyFrom: '2022-09',
    status: 'ACTIVE',
    statusDate: '2022-09-05',
    identities: [{ id: 'i1', attrs: dis(6), from: '2022-01-10', to: null }],
    statusEvents: [{ status: 'ACTIVE', date: '2022-09-05', reason: null, deathCause: null }],
    ...o,
  });
  const fails = (s: PersonState, c: Parameters<typeof checkChange>[1]) => {
    try {
      checkChange(s, c, TODAY);
      return 'OK';
    } catch (err) {
      const e = err as { kind: string; reason: string; violations: { field: string }[] };
      return `${e.kind} ${e.reason}${e.violations[0] ? ` ${e.violations[0].field}` : ''}`;
    }
  };

  it('re-assesses a grade no earlier than one year after the last assessment', () => {
    expect(fails(state(), { kind: 'CHANGE_IDENTITY', identityId: 'i1', attrs: dis(5), effectiveDate: '2022-12-01' })).toBe('FAILED_PRECONDITION REASSESSMENT_TOO_EARLY');
    expect(fails(state(), { kind: 'CHANGE_IDENTITY', identityId: 'i1', attrs: dis(5), effectiveDate: '2023-01-10' })).toBe('OK');
    expect(fails(state(), { kind: 'CHANGE_IDENTITY', identityId: 'i1', attrs: dis(11), effectiveDate: '2023-01-10' })).toBe('INVALID_ARGUMENT GRADE_OUT_OF_RANGE changeIdentity.attributes.disabilityGrade');
  });

  it('knows which status may follow which', () => {
    expect(fails(state(), { kind: 'RESUME', effectiveDate: '2023-01-01' })).toBe('FAILED_PRECONDITION NOT_SUSPENDED');
    expect(fails(state({ status: 'SUSPENDED' }), { kind: 'SUSPEND', effectiveDate: '2023-01-01', reason: 'x' })).toBe('FAILED_PRECONDITION NOT_ACTIVE');
    expect(fails(state({ status: 'DECEASED' }), { kind: 'SUSPEND', effectiveDate: '2023-01-01', reason: 'x' })).toBe('FAILED_PRECONDITION PERSON_DECEASED');
    expect(fails(state({ statusDate: '2023-01-05' }), { kind: 'SUSPEND', effectiveDate: '2023-01-01', reason: 'x' })).toBe('FAILED_PRECONDITION BEFORE_LAST_STATUS_CHANGE');
    expect(fails(state(), { kind: 'SUSPEND', effectiveDate: '2023-04-01', reason: 'x' })).toBe('INVALID_ARGUMENT DATE_IN_FUTURE suspend.effectiveDate');
    expect(fails(state(), { kind: 'SUSPEND', effectiveDate: '2022-08-01', reason: 'x' })).toBe('INVALID_ARGUMENT BEFORE_APPROVAL suspend.effectiveDate');
  });

  it('refuses a second identity of a held category and unknown identities', () => {
    expect(fails(state(), { kind: 'ADD_IDENTITY', attrs: dis(3), effectiveDate: '2023-01-01' })).toBe('FAILED_PRECONDITION CATEGORY_ALREADY_HELD');
    expect(fails(state(), { kind: 'END_IDENTITY', identityId: 'nope', effectiveDate: '2023-01-01', reason: 'x' })).toBe('NOT_FOUND NOT_FOUND');
  });

  it('an added rural-only identity needs a rural household registration, as at registration', () => {
    const rv: Attributes = { category: 'RURAL_VETERAN_60', grade: 0, cause: null, enlistmentPeriod: null, serviceYears: 3, mentalDisorder: false };
    const dr: Attributes = { category: 'DEMOBILIZED_RURAL', grade: 0, cause: null, enlistmentPeriod: 'EARLY_PRC', serviceYears: 0, mentalDisorder: false };
    expect(fails(state(), { kind: 'ADD_IDENTITY', attrs: rv, effectiveDate: '2023-01-01' })).toBe('INVALID_ARGUMENT RESIDENCE_MISMATCH addIdentity.identity.attributes.category');
    expect(fails(state(), { kind: 'ADD_IDENTITY', attrs: dr, effectiveDate: '2023-01-01' })).toBe('INVALID_ARGUMENT RESIDENCE_MISMATCH addIdentity.identity.attributes.category');
    expect(fails(state({ residence: 'RURAL' }), { kind: 'ADD_IDENTITY', attrs: rv, effectiveDate: '2023-01-01' })).toBe('OK');
    expect(fails(state({ residence: 'RURAL' }), { kind: 'ADD_IDENTITY', attrs: dr, effectiveDate: '2023-01-01' })).toBe('OK');
  });
});

describe('eligibility on a date', () => {
  const events = [
    { status: 'ACTIVE' as const, date: '2022-09-05', reason: null, deathCause: null },
    { status: 'DECEASED' as const, date: '2023-02-10', reason: null, deathCause: 'OTHER' as const },
  ];
  const identities = [{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }];
  it('is entitled from approval through the day of death', () => {
    expect(eligibility(events, identities, '2022-09-04').reason).toBe('NOT_YET_APPROVED');
    expect(eligibility(events, identities, '2022-09-05').entitled).toBe(true);
    expect(eligibility(events, identities, '2023-02-10').entitled).toBe(true);
    expect(eligibility(events, identities, '2023-02-11')).toMatchObject({ entitled: false, reason: 'DECEASED' });
  });
});
