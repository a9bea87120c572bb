import { describe, expect, it } from 'vitest';
import { allowedModes, classifyReport, economicSubsidy, halfYears, mayClose, modeRules, reportingWindow, serviceMonths, transferable, nextAllowanceMonth, type Conditions } from './rules';

const BASE = 1_500_000n; // 15,000 yuan a year

describe('service length and the one-time economic subsidy', () => {
  it.each([
    // enlisted, discharged, months
    ['2022-03-10', '2022-08-10', 5],
    ['2022-03-10', '2022-08-11', 6], // a day remains: +1
    ['2022-03-10', '2022-09-10', 6],
    ['2021-09-10', '2022-08-10', 11],
    ['2021-09-10', '2022-09-10', 12],
    ['2021-09-10', '2022-10-10', 13],
    ['2020-01-31', '2020-02-29', 1], // 31 Jan + 1 month is the end of February
  ])('%s → %s is %i months', (from, to, months) => {
    expect(serviceMonths(from, to)).toBe(months);
  });

  it.each([
    // months, half-years, subsidy (fen) with no honour
    [5, 1, 750_000n], // under 6 months counts as half a year
    [6, 2, 1_500_000n], // 6–11 months: a year
    [11, 2, 1_500_000n],
    [12, 2, 1_500_000n],
    [13, 3, 2_250_000n], // 1 year and 1 month: one and a half
    [24, 4, 3_000_000n],
    [29, 5, 3_750_000n],
  ])('%i months: %i half-years, %i fen', (months, half, fen) => {
    expect(halfYears(months)).toBe(half);
    expect(economicSubsidy(months, BASE, []).amountFen).toBe(fen);
  });

  it.each([
    [['THIRD_CLASS_MERIT'], 500, 3_150_000n],
    [['SECOND_CLASS_MERIT', 'THIRD_CLASS_MERIT'], 1000, 3_300_000n], // only the highest
    [['FIRST_CLASS_MERIT', 'THIRD_CLASS_MERIT'], 1500, 3_450_000n],
    [['THIRD_CLASS_MERIT', 'HONORARY_TITLE', 'FIRST_CLASS_MERIT'], 2500, 3_750_000n],
  ] as const)('honours %j add %i bp', (honours, bp, fen) => {
    const s = economicSubsidy(24, BASE, honours);
    expect(s.honourBp).toBe(bp);
    expect(s.amountFen).toBe(fen);
  });

  it('rounds once, half up, to the fen', () => {
    // 3 half-years × 10,000.01 yuan × 1.05 / 2 = 15,750.01575 yuan → 1,575,002 fen (one rounding).
    expect(economicSubsidy(13, 1_000_001n, ['THIRD_CLASS_MERIT']).amountFen).toBe(1_575_002n);
  });
});

describe('reporting (报到)', () => {
  const approved = '2024-03-01';
  it.each([
    ['2024-03-01', 'ON_TIME'],
    ['2024-03-31', 'ON_TIME'], // day 30
    ['2024-04-01', 'LATE'], // day 31
    ['2024-04-30', 'LATE'], // day 60
  ])('on %s: %s', (on, r) => {
    expect(classifyReport(approved, on, false)).toBe(r);
  });
  it('after day 60 only with a justified reason; never before the approval', () => {
    expect(classifyReport(approved, '2024-05-01', false)).toEqual({ refused: 'DEADLINE_PASSED' });
    expect(classifyReport(approved, '2024-05-01', true)).toBe('LATE_JUSTIFIED');
    expect(classifyReport(approved, '2024-02-29', true)).toEqual({ refused: 'BEFORE_APPROVAL' });
  });
  it('lapses at 00:00 Asia/Shanghai of day 61', () => {
    const w = reportingWindow(approved);
    expect(w).toMatchObject({ onTimeBy: '2024-03-31', reportBy: '2024-04-30' });
    expect(w.lapsesAt.toISOString()).toBe('2024-04-30T16:00:00.000Z');
  });
});

describe('placement modes', () => {
  const base: Conditions = { rankType: 'CONSCRIPT', ncoLevel: 0, enlistedOn: '2022-09-10', dischargedOn: '2024-09-09', birthDate: '2003-05-01', honours: [], disability: null, martyrChild: false };
  const modes = (c: Partial<Conditions>) => allowedModes({ ...base, ...c }, 55);

  it('a conscript without conditions: self-employment only', () => {
    expect(modes({})).toEqual(['SELF_EMPLOYMENT']);
  });
  it('assigned work: 12+ years as an NCO, 2nd-class merit or higher, WAR grades 5–8, a martyr’s child', () => {
    expect(modes({ rankType: 'NCO', ncoLevel: 4, enlistedOn: '2012-09-01' })).toContain('ASSIGNED_WORK');
    expect(modes({ rankType: 'NCO', ncoLevel: 3, enlistedOn: '2013-09-10' })).not.toContain('ASSIGNED_WORK'); // 11 years
    expect(modes({ honours: ['SECOND_CLASS_MERIT'] })).toContain('ASSIGNED_WORK');
    expect(modes({ honours: ['THIRD_CLASS_MERIT'] })).not.toContain('ASSIGNED_WORK');
    expect(modes({ disability: { grade: 6, cause: 'WAR' } })).toContain('ASSIGNED_WORK');
    expect(modes({ disability: { grade: 6, cause: 'DUTY' } })).not.toContain('ASSIGNED_WORK');
    expect(modes({ martyrChild: true })).toContain('ASSIGNED_WORK');
  });
  it('retirement: NCOs with WAR / DUTY grades 1–6, 30 years, or the configured age', () => {
    const nco = { rankType: 'NCO' as const, ncoLevel: 5 };
    expect(modes({ ...nco, disability: { grade: 6, cause: 'DUTY' } })).toContain('RETIREMENT');
    expect(modes({ ...nco, disability: { grade: 6, cause: 'ILLNESS' } })).not.toContain('RETIREMENT');
    expect(modes({ ...nco, enlistedOn: '1994-09-01' })).toContain('RETIREMENT');
    expect(modes({ ...nco, birthDate: '1969-09-01' })).toContain('RETIREMENT');
    expect(modes({ disability: { grade: 2, cause: 'WAR' } })).not.toContain('RETIREMENT'); // a conscript
  });
  it('support: grades 1–4 for conscripts and NCOs of levels 1–2', () => {
    expect(modes({ disability: { grade: 4, cause: 'ILLNESS' } })).toContain('SUPPORT');
    expect(modes({ disability: { grade: 5, cause: 'WAR' } })).not.toContain('SUPPORT');
    expect(modes({ rankType: 'NCO', ncoLevel: 2, disability: { grade: 3, cause: 'DUTY' } })).toContain('SUPPORT');
    expect(modes({ rankType: 'NCO', ncoLevel: 3, disability: { grade: 3, cause: 'DUTY' } })).not.toContain('SUPPORT');
  });
  it('says why a mode is refused', () => {
    expect(modeRules(base, 55).MONTHLY_RETIREMENT_PAY).toEqual({ allowed: false, why: 'for NCOs only' });
  });
  it('closing follows the mode', () => {
    expect(mayClose('SUBSIDY_GRANTED', 'SELF_EMPLOYMENT')).toBe(true);
    expect(mayClose('PLACEMENT_CHOSEN', 'SELF_EMPLOYMENT')).toBe(false);
    expect(mayClose('ONBOARDED', 'ASSIGNED_WORK')).toBe(true);
    expect(mayClose('PLACEMENT_CHOSEN', 'SUPPORT')).toBe(true);
    expect(mayClose('REPORTED', null)).toBe(false);
  });
});

describe('registry transfer', () => {
  it.each([
    [{ grade: 10, cause: 'WAR' as const }, true],
    [{ grade: 10, cause: 'DUTY' as const }, true],
    [{ grade: 6, cause: 'ILLNESS' as const }, true],
    [{ grade: 7, cause: 'ILLNESS' as const }, false],
    [null, false],
  ])('%j transferable: %s', (d, ok) => {
    expect(transferable(d).ok).toBe(ok);
  });
});

describe('waiting allowance months', () => {
  it('from the month of reporting to the month before onboarding', () => {
    expect(nextAllowanceMonth('2026-03-15', null, new Set())).toBe('2026-03');
    expect(nextAllowanceMonth('2026-03-15', null, new Set(['2026-03', '2026-04']))).toBe('2026-05');
    expect(nextAllowanceMonth('2026-03-15', '2026-05-10', new Set(['2026-03']))).toBe('2026-04');
    expect(nextAllowanceMonth('2026-03-15', '2026-05-10', new Set(['2026-03', '2026-04']))).toBeUndefined();
    expect(nextAllowanceMonth('2026-03-15', '2026-03-28', new Set())).toBeUndefined(); // onboarded in the month of reporting
  });
});
