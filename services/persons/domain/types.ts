import type { CivilDate, YearMonth } from '../../lib/civil';
import type { Gender } from '../../lib/national-id';

/** Domain vocabulary of the persons service (string unions; the wire layer maps proto enums). */

export { CATEGORIES } from '../../lib/entitlement';
export type { Category, Cause, EnlistmentPeriod, Residence } from '../../lib/entitlement';
import type { Category, Cause, EnlistmentPeriod, Residence } from '../../lib/entitlement';

export type Status = 'ACTIVE' | 'SUSPENDED' | 'DECEASED' | 'TRANSFERRED_OUT';
export type DeathCause = 'ILLNESS' | 'OTHER';
export type { Gender };

/** The attributes of one identity that set its amount (youfu.common.v1.EntitlementAttributes). */
export interface Attributes {
  category: Category;
  /** 1..10 for DISABLED_SERVICEMAN, else 0. */
  grade: number;
  cause: Cause | null;
  enlistmentPeriod: EnlistmentPeriod | null;
  /** Whole years of conscript service (RURAL_VETERAN_60), else 0. */
  serviceYears: number;
  mentalDisorder: boolean;
}

/** An identity held from `from` through `to` (inclusive; null = still held). */
export interface IdentitySpan {
  id: string;
  attrs: Attributes;
  from: CivilDate;
  to: CivilDate | null;
}

/** A status change as recorded: the status holds from `date`. */
export interface StatusEvent {
  status: Status;
  date: CivilDate;
  reason: string | null;
  deathCause: DeathCause | null;
}

/** Account payments go to (plaintext inside the domain; encrypted by the store). */
export interface Payee {
  bank: string;
  accountNumber: string;
  accountName: string;
}

export interface Contact {
  phone: string;
  address: string;
}

/** A validated registration (one person), as staged in a change request. */
export interface Registration {
  nationalId: string;
  name: string;
  gender: Gender;
  birthDate: CivilDate;
  district: string;
  residence: Residence;
  contact: Contact;
  approvalDate: CivilDate;
  payee: Payee;
  identities: { attrs: Attributes; from: CivilDate }[];
  /** First month Youfu pays; null = decided at approval (imports: the month of approval). */
  historyFrom: YearMonth | null;
}

export const BENEFITS = ['PENSION', 'NURSING_FEE', 'FUNERAL_SUBSIDY'] as const;
export type BenefitCode = (typeof BENEFITS)[number];
/** Benefits due every month while entitled. */
export const MONTHLY_BENEFITS = ['PENSION', 'NURSING_FEE'] as const satisfies readonly BenefitCode[];
export type MonthlyBenefit = (typeof MONTHLY_BENEFITS)[number];
