/**
 * The rules of a resettlement case (domain.md §4), pure: reporting days, the placement modes a
 * rank and its conditions allow, the service length and the one-time economic subsidy, and which
 * step may follow which. Our readings where the regulation leaves detail to the provinces are in
 * ../README.md ("Our readings").
 */
import { addDays, addMonths, daysBetween, monthOf, parts, shanghaiMidnight, type CivilDate, type YearMonth } from '../../lib/civil';
import { divRoundHalfUp } from '../../lib/money';

export const STATUSES = ['RECEIVED', 'REPORTED', 'PLACEMENT_CHOSEN', 'SUBSIDY_GRANTED', 'JOB_OFFERED', 'ONBOARDED', 'CLOSED', 'LAPSED'] as const;
export type Status = (typeof STATUSES)[number];
export const RANK_TYPES = ['CONSCRIPT', 'NCO', 'OFFICER'] as const;
export type RankType = (typeof RANK_TYPES)[number];
export const MODES = ['MONTHLY_RETIREMENT_PAY', 'SELF_EMPLOYMENT', 'ASSIGNED_WORK', 'RETIREMENT', 'SUPPORT'] as const;
export type Mode = (typeof MODES)[number];
export const HONOURS = ['HONORARY_TITLE', 'FIRST_CLASS_MERIT', 'SECOND_CLASS_MERIT', 'THIRD_CLASS_MERIT'] as const;
export type Honour = (typeof HONOURS)[number];
export const REPORTINGS = ['ON_TIME', 'LATE', 'LATE_JUSTIFIED'] as const;
export type Reporting = (typeof REPORTINGS)[number];
export const DEADLINES = ['REPORTING', 'PLACEMENT', 'ONBOARDING', 'STUDY_WINDOW'] as const;
export type Deadline = (typeof DEADLINES)[number];
export const SUPPORT_KINDS = ['TRAINING', 'LOAN_INTEREST_SUBSIDY', 'RESUMED_STUDY'] as const;
export type SupportKind = (typeof SUPPORT_KINDS)[number];
export type Cause = 'WAR' | 'DUTY' | 'ILLNESS';

/** Cases not ended: at most one per ID number. */
export const OPEN: readonly Status[] = ['RECEIVED', 'REPORTED', 'PLACEMENT_CHOSEN', 'SUBSIDY_GRANTED', 'JOB_OFFERED', 'ONBOARDED'];

// ---------- reporting (报到) ----------

/** Day 30 is the last on time, day 60 the last at all; day 1 is the day after the discharge approval. */
export const ON_TIME_DAYS = 30;
export const LAST_DAY = 60;

export interface ReportingWindow {
  onTimeBy: CivilDate;
  reportBy: CivilDate;
  /** 00:00 Asia/Shanghai of day 61: an unreported case without a justified reason lapses then. */
  lapsesAt: Date;
}

export function reportingWindow(approvedOn: CivilDate): ReportingWindow {
  return { onTimeBy: addDays(approvedOn, ON_TIME_DAYS), reportBy: addDays(approvedOn, LAST_DAY), lapsesAt: shanghaiMidnight(addDays(approvedOn, LAST_DAY + 1)) };
}

/**
 * How a report on `reportedOn` counts: on time (up to day 30; the approval day itself too), late
 * (days 31–60), late but justified (later, with a reason recorded), or refused: before the
 * approval, or after day 60 without a reason.
 */
export function classifyReport(approvedOn: CivilDate, reportedOn: CivilDate, justified: boolean): Reporting | { refused: 'BEFORE_APPROVAL' | 'DEADLINE_PASSED' } {
  const day = daysBetween(approvedOn, reportedOn);
  if (day < 0) return { refused: 'BEFORE_APPROVAL' };
  if (day <= ON_TIME_DAYS) return 'ON_TIME';
  if (day <= LAST_DAY) return 'LATE';
  return justified ? 'LATE_JUSTIFIED' : { refused: 'DEADLINE_PASSED' };
}

// ---------- service length and the economic subsidy ----------

/** `d` plus `n` calendar months, the day clipped to the month's end (31 Jan + 1 month = 28/29 Feb). */
function plusMonths(d: CivilDate, n: number): CivilDate {
  const { year, month, day } = parts(d);
  const idx = year * 12 + month - 1 + n;
  const y = Math.floor(idx / 12);
  const m = (idx % 12) + 1;
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(day, last)).padStart(2, '0')}`;
}

/** Whole calendar months from `a` to `b`. */
function wholeMonths(a: CivilDate, b: CivilDate): number {
  let whole = (parts(b).year - parts(a).year) * 12 + (parts(b).month - parts(a).month);
  while (whole > 0 && plusMonths(a, whole) > b) whole--;
  return Math.max(0, whole);
}

/** Whole calendar months from enlistment to discharge, plus one when days remain. */
export function serviceMonths(enlistedOn: CivilDate, dischargedOn: CivilDate): number {
  const whole = wholeMonths(enlistedOn, dischargedOn);
  return plusMonths(enlistedOn, whole) < dischargedOn ? whole + 1 : whole;
}

/** Half-years counted: two per whole year; a remainder of 1–5 months adds one, 6–11 adds two. */
export function halfYears(months: number): number {
  const rest = months % 12;
  return Math.floor(months / 12) * 2 + (rest === 0 ? 0 : rest <= 5 ? 1 : 2);
}

/** What each honour adds, in basis points; only the highest counts. */
export const HONOUR_BP: Record<Honour, number> = { HONORARY_TITLE: 2500, FIRST_CLASS_MERIT: 1500, SECOND_CLASS_MERIT: 1000, THIRD_CLASS_MERIT: 500 };

export const honourBp = (honours: readonly Honour[]): number => Math.max(0, ...honours.map((h) => HONOUR_BP[h]));

export interface SubsidyTerms {
  halfYears: number;
  perYearBaseFen: bigint;
  honourBp: number;
  amountFen: bigint;
}

/** round_half_up(half_years × base × (10000 + honour_bp) / 20000), rounded once. */
export function economicSubsidy(months: number, perYearBaseFen: bigint, honours: readonly Honour[]): SubsidyTerms {
  const h = halfYears(months);
  const bp = honourBp(honours);
  return { halfYears: h, perYearBaseFen, honourBp: bp, amountFen: divRoundHalfUp(BigInt(h) * perYearBaseFen * BigInt(10_000 + bp), 20_000n) };
}

// ---------- placement modes ----------

export interface Conditions {
  rankType: RankType;
  ncoLevel: number;
  enlistedOn: CivilDate;
  dischargedOn: CivilDate;
  birthDate: CivilDate;
  honours: readonly Honour[];
  disability: { grade: number; cause: Cause } | null;
  martyrChild: boolean;
}

/** Full years of service (whole months / 12). */
export const serviceYears = (c: Pick<Conditions, 'enlistedOn' | 'dischargedOn'>) => Math.floor(wholeMonths(c.enlistedOn, c.dischargedOn) / 12);

const ageOn = (birth: CivilDate, on: CivilDate) => {
  const b = parts(birth);
  const d = parts(on);
  return d.year - b.year - (d.month < b.month || (d.month === b.month && d.day < b.day) ? 1 : 0);
};

/**
 * The modes a case may choose, each with why (or why not): NCOs may take monthly retirement pay;
 * both ranks self-employment; assigned work with 12+ years as an NCO, 2nd-class merit or higher,
 * a WAR disability of grades 5–8, or as a martyr's child; retirement (NCOs) with a WAR / DUTY
 * disability of grades 1–6, 30 years' service or `retirementAge`; support with grades 1–4 (any
 * cause) for conscripts and NCOs of levels 1–2.
 */
export function modeRules(c: Conditions, retirementAge: number): Record<Mode, { allowed: boolean; why: string }> {
  const nco = c.rankType === 'NCO';
  const years = serviceYears(c);
  const d = c.disability;
  const highMerit = c.honours.some((h) => h === 'HONORARY_TITLE' || h === 'FIRST_CLASS_MERIT' || h === 'SECOND_CLASS_MERIT');
  const assigned = [
    nco && years >= 12 ? 'an NCO with 12 or more years' : '',
    highMerit ? 'a 2nd-class merit or higher' : '',
    d && d.cause === 'WAR' && d.grade >= 5 && d.grade <= 8 ? `a WAR disability of grade ${d.grade}` : '',
    c.martyrChild ? "a martyr's child" : '',
  ].filter(Boolean);
  const retire = [
    d && (d.cause === 'WAR' || d.cause === 'DUTY') && d.grade <= 6 ? `a ${d.cause} disability of grade ${d.grade}` : '',
    years >= 30 ? '30 or more years of service' : '',
    ageOn(c.birthDate, c.dischargedOn) >= retirementAge ? `age ${retirementAge} or more at discharge` : '',
  ].filter(Boolean);
  const supportable = d !== null && d.grade <= 4 && (c.rankType === 'CONSCRIPT' || (nco && c.ncoLevel <= 2));
  return {
    MONTHLY_RETIREMENT_PAY: nco ? { allowed: true, why: 'an NCO' } : { allowed: false, why: 'for NCOs only' },
    SELF_EMPLOYMENT: { allowed: true, why: 'open to conscripts and NCOs' },
    ASSIGNED_WORK: assigned.length ? { allowed: true, why: assigned.join('; ') } : { allowed: false, why: 'needs 12+ years as an NCO, a 2nd-class merit or higher, a WAR disability of grades 5–8, or a martyr’s child' },
    RETIREMENT: !nco
      ? { allowed: false, why: 'for NCOs only' }
      : retire.length
        ? { allowed: true, why: retire.join('; ') }
        : { allowed: false, why: `needs a WAR / DUTY disability of grades 1–6, 30 years of service, or age ${retirementAge}` },
    SUPPORT: supportable ? { allowed: true, why: `a disability of grade ${d!.grade}` } : { allowed: false, why: 'needs a disability of grades 1–4, as a conscript or an NCO of level 1–2' },
  };
}

export const allowedModes = (c: Conditions, retirementAge: number): Mode[] => {
  const r = modeRules(c, retirementAge);
  return MODES.filter((m) => r[m].allowed);
};

// ---------- steps ----------

/** The statuses each step may start from. */
export const STEP_FROM = {
  report: ['RECEIVED'],
  lateReason: ['RECEIVED'],
  choose: ['REPORTED'],
  proposeSubsidy: ['PLACEMENT_CHOSEN'],
  decideSubsidy: ['PLACEMENT_CHOSEN'],
  offerJob: ['PLACEMENT_CHOSEN', 'JOB_OFFERED'],
  onboard: ['JOB_OFFERED'],
  lapse: ['RECEIVED'],
  reinstate: ['LAPSED'],
  transfer: ['REPORTED', 'PLACEMENT_CHOSEN', 'SUBSIDY_GRANTED', 'JOB_OFFERED', 'ONBOARDED', 'CLOSED'],
  support: ['REPORTED', 'PLACEMENT_CHOSEN', 'SUBSIDY_GRANTED', 'JOB_OFFERED', 'ONBOARDED', 'CLOSED'],
} as const satisfies Record<string, readonly Status[]>;

/** A case may close from here, by mode: a granted subsidy, an onboarded person, or a case handed to its paying body. */
export function mayClose(status: Status, mode: Mode | null): boolean {
  if (mode === 'SELF_EMPLOYMENT') return status === 'SUBSIDY_GRANTED';
  if (mode === 'ASSIGNED_WORK') return status === 'ONBOARDED';
  return mode !== null && status === 'PLACEMENT_CHOSEN';
}

/** Assigned work: placed within 6 months of reporting; the employer takes the person on within 30 days of the referral; study resumes within 2 years of discharge. */
export const PLACEMENT_MONTHS = 6;
export const ONBOARDING_DAYS = 30;
export const STUDY_YEARS = 2;

export const placementDue = (reportedOn: CivilDate) => plusMonths(reportedOn, PLACEMENT_MONTHS);
export const onboardingDue = (referredOn: CivilDate) => addDays(referredOn, ONBOARDING_DAYS);
/** The last day a college-student veteran may resume study: 2 years after the discharge. */
export const studyWindowEnds = (dischargedOn: CivilDate) => plusMonths(dischargedOn, STUDY_YEARS * 12);

/**
 * The next month of the waiting allowance not yet recorded (assigned work): months run from the
 * month of reporting to the month before onboarding (our reading); while the person still waits,
 * a month is owed once it has ended. `recorded`: the months already recorded. Undefined: none owed.
 */
export function nextAllowanceMonth(reportedOn: CivilDate, onboardedOn: CivilDate | null, recorded: ReadonlySet<YearMonth>): YearMonth | undefined {
  let m = monthOf(reportedOn);
  while (recorded.has(m)) m = addMonths(m, 1);
  return onboardedOn && m >= monthOf(onboardedOn) ? undefined : m;
}

// ---------- the registry transfer ----------

/** A disability persons pensions (WAR / DUTY 1–10, ILLNESS 1–6) makes the veteran an entitled person. */
export function transferable(d: { grade: number; cause: Cause } | null): { ok: true } | { ok: false; reason: 'NO_PENSIONED_DISABILITY' | 'NOT_TRANSFERABLE'; why: string } {
  if (!d) return { ok: false, reason: 'NO_PENSIONED_DISABILITY', why: 'the case has no assessed disability' };
  if (d.cause === 'ILLNESS' && d.grade > 6) return { ok: false, reason: 'NOT_TRANSFERABLE', why: `an ILLNESS disability of grade ${d.grade} carries no pension (grades 1–6 do)` };
  return { ok: true };
}
