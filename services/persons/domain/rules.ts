import { isValidDate, parts, type CivilDate } from '../../lib/civil';
import type { FieldViolation } from '../../lib/errors';
import { NationalIdError, parseNationalId } from '../../lib/national-id';
import type { Attributes, Registration } from './types';

/** Registration rules that need no I/O: ID number, its cross-checks, attributes per category. */

export interface Violation extends FieldViolation {
  /** Stable code (INVALID_CHECK_CHARACTER, GRADE_OUT_OF_RANGE, …). */
  reason: string;
}

const v = (field: string, reason: string, description: string): Violation => ({ field, reason, description });

/** Date on which someone born on `birth` turns `years`. */
export function anniversary(birth: CivilDate, years: number): CivilDate {
  const p = parts(birth);
  const y = String(p.year + years).padStart(4, '0');
  const md = `${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  // 29 Feb birthdays count from 1 Mar in common years.
  return isValidDate(`${y}-${md}`) ? `${y}-${md}` : `${y}-03-01`;
}

/** Checks one identity's attributes against its category (domain.md §1). */
export function attributeViolations(a: Attributes, path: string): Violation[] {
  const out: Violation[] = [];
  const f = (name: string) => `${path}.${name}`;
  if (a.category === 'CONSCRIPT_FAMILY') {
    out.push(v(f('category'), 'CATEGORY_NOT_SUPPORTED', 'the conscript family allowance is paid by the county of enlistment every 6 months; not handled by this registry yet'));
    return out;
  }
  if (a.category === 'DISABLED_SERVICEMAN') {
    if (!a.cause) out.push(v(f('cause'), 'CAUSE_REQUIRED', 'a disabled serviceman needs a cause (WAR, DUTY or ILLNESS)'));
    const max = a.cause === 'ILLNESS' ? 6 : 10;
    if (!Number.isInteger(a.grade) || a.grade < 1 || a.grade > max) {
      out.push(v(f('disabilityGrade'), 'GRADE_OUT_OF_RANGE', `grade must be 1..${max} for ${a.cause ?? 'a disabled serviceman'}${a.cause === 'ILLNESS' ? ' (illness is pensioned only at grades 1..6)' : ''}`));
    }
    if (a.enlistmentPeriod) out.push(v(f('enlistmentPeriod'), 'NOT_APPLICABLE', 'only for DEMOBILIZED_RURAL'));
    if (a.serviceYears) out.push(v(f('serviceYears'), 'NOT_APPLICABLE', 'only for RURAL_VETERAN_60'));
    return out;
  }
  if (a.grade !== 0) out.push(v(f('disabilityGrade'), 'GRADE_OUT_OF_RANGE', `${a.category} has no disability grade (must be 0)`));
  if (a.cause) out.push(v(f('cause'), 'NOT_APPLICABLE', 'only for DISABLED_SERVICEMAN'));
  if (a.mentalDisorder) out.push(v(f('mentalDisorder'), 'NOT_APPLICABLE', 'only for DISABLED_SERVICEMAN'));
  if (a.category === 'DEMOBILIZED_RURAL') {
    if (!a.enlistmentPeriod) out.push(v(f('enlistmentPeriod'), 'ENLISTMENT_PERIOD_REQUIRED', 'a demobilized rural veteran needs an enlistment period'));
  } else if (a.enlistmentPeriod) out.push(v(f('enlistmentPeriod'), 'NOT_APPLICABLE', 'only for DEMOBILIZED_RURAL'));
  if (a.category === 'RURAL_VETERAN_60') {
    if (!Number.isInteger(a.serviceYears) || a.serviceYears < 1 || a.serviceYears > 60) {
      out.push(v(f('serviceYears'), 'SERVICE_YEARS_OUT_OF_RANGE', 'whole years of conscript service, 1..60'));
    }
  } else if (a.serviceYears) out.push(v(f('serviceYears'), 'NOT_APPLICABLE', 'only for RURAL_VETERAN_60'));
  return out;
}

/** Rules of one identity that involve the person: rural categories, age 60+. */
function identityPersonViolations(r: Registration, a: Attributes, from: CivilDate, path: string): Violation[] {
  const out: Violation[] = [];
  if ((a.category === 'RURAL_VETERAN_60' || a.category === 'DEMOBILIZED_RURAL') && r.residence !== 'RURAL') {
    out.push(v('residence', 'RESIDENCE_MISMATCH', `${a.category} requires a rural household registration`));
  }
  if ((a.category === 'RURAL_VETERAN_60' || a.category === 'MARTYR_CHILD_60') && from < anniversary(r.birthDate, 60)) {
    out.push(v(`${path}.effectiveFrom`, 'UNDER_AGE', `${a.category} requires age 60 or more on the effective date`));
  }
  return out;
}

const DISTRICT = /^\d{6}$/;
const ACCOUNT = /^\d{8,32}$/;

/**
 * Every violation of one registration, with field paths relative to the registration (prefix
 * them with the request path). `today` bounds dates. An empty list means acceptable.
 */
export function registrationViolations(r: Registration, today: CivilDate): Violation[] {
  const out: Violation[] = [];
  let parsed: ReturnType<typeof parseNationalId> | undefined;
  try {
    parsed = parseNationalId(r.nationalId, today);
  } catch (err) {
    if (!(err instanceof NationalIdError)) throw err;
    out.push(v('nationalId', err.reason, err.message));
  }
  if (parsed) {
    if (parsed.birthDate !== r.birthDate) out.push(v('birthDate', 'BIRTH_DATE_MISMATCH', `does not match the ID number (${parsed.birthDate})`));
    if (parsed.gender !== r.gender) out.push(v('gender', 'GENDER_MISMATCH', `does not match the ID number's sequence digit (${parsed.gender})`));
  }
  if (!r.name.trim() || r.name.length > 100) out.push(v('name', 'NAME_REQUIRED', 'required, at most 100 characters'));
  if (!DISTRICT.test(r.district)) out.push(v('districtCode', 'INVALID_DISTRICT', 'a 6-digit GB/T 2260 code'));
  if (r.approvalDate > today) out.push(v('approvalDate', 'DATE_IN_FUTURE', 'must not be in the future'));
  if (r.approvalDate < r.birthDate) out.push(v('approvalDate', 'BEFORE_BIRTH', 'must not be before the birth date'));
  if (!r.payee.bank.trim()) out.push(v('payee.bank', 'PAYEE_REQUIRED', 'required'));
  if (!ACCOUNT.test(r.payee.accountNumber)) out.push(v('payee.accountNumber', 'INVALID_ACCOUNT', '8..32 digits'));
  if (!r.payee.accountName.trim()) out.push(v('payee.accountName', 'PAYEE_REQUIRED', 'required'));
  if (!r.identities.length) out.push(v('identities', 'IDENTITY_REQUIRED', 'at least one identity'));
  const seen = new Set<string>();
  r.identities.forEach((i, n) => {
    const path = `identities[${n}]`;
    out.push(...attributeViolations(i.attrs, `${path}.attributes`));
    if (i.from > today) out.push(v(`${path}.effectiveFrom`, 'DATE_IN_FUTURE', 'must not be in the future'));
    if (i.from < r.birthDate) out.push(v(`${path}.effectiveFrom`, 'BEFORE_BIRTH', 'must not be before the birth date'));
    if (seen.has(i.attrs.category)) out.push(v(`${path}.attributes.category`, 'DUPLICATE_CATEGORY', 'one identity per category'));
    seen.add(i.attrs.category);
    out.push(...identityPersonViolations(r, i.attrs, i.from, path));
  });
  // One report per field is enough.
  const byField = new Map<string, Violation>();
  for (const x of out) if (!byField.has(x.field)) byField.set(x.field, x);
  return [...byField.values()];
}
