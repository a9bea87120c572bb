/** Conversions between the protobuf contract (youfu.persons.v1) and the domain, and request schemas. */
import { z } from 'zod';
import type { CivilDate as PbDate, YearMonth as PbMonth } from '../../protos/gen/youfu/common/v1/common';
import {
  categoryFromJSON,
  disabilityCauseFromJSON,
  enlistmentPeriodFromJSON,
  residenceFromJSON,
  type EntitlementAttributes,
} from '../../protos/gen/youfu/common/v1/entitlement';
import {
  adjustmentKindFromJSON,
  benefitKindFromJSON,
  changeKindFromJSON,
  changeStatusFromJSON,
  deathCauseFromJSON,
  genderFromJSON,
  payrollLineKindFromJSON,
  personStatusFromJSON,
} from '../../protos/gen/youfu/persons/v1/persons';
import { fromParts, isValidDate, parts, type CivilDate, type YearMonth } from '../lib/civil';
import { fromZodError } from '../lib/errors';
import { BENEFITS, CATEGORIES, type Attributes, type Cause, type EnlistmentPeriod } from './domain/types';

/** A protobuf enum seen through the domain's names (the value without its prefix; 0 = none). */
interface EnumMap<T extends string> {
  fromNumber(n: number): T | undefined;
  toNumber(name: T | null | undefined): number;
}

function enumMap<T extends string>(names: readonly T[], fromJSON: (o: unknown) => number, prefix: string): EnumMap<T> {
  const byNumber = new Map(names.map((n) => [fromJSON(prefix + n), n]));
  return { fromNumber: (n) => byNumber.get(n), toNumber: (name) => (name ? fromJSON(prefix + name) : 0) };
}

export const enums = {
  category: enumMap(CATEGORIES, categoryFromJSON, 'CATEGORY_'),
  cause: enumMap(['WAR', 'DUTY', 'ILLNESS'] as const, disabilityCauseFromJSON, 'DISABILITY_CAUSE_'),
  period: enumMap(['ANTI_JAPANESE_WAR', 'LIBERATION_WAR', 'EARLY_PRC'] as const, enlistmentPeriodFromJSON, 'ENLISTMENT_PERIOD_'),
  residence: enumMap(['URBAN', 'RURAL'] as const, residenceFromJSON, 'RESIDENCE_'),
  gender: enumMap(['MALE', 'FEMALE'] as const, genderFromJSON, 'GENDER_'),
  status: enumMap(['ACTIVE', 'SUSPENDED', 'DECEASED', 'TRANSFERRED_OUT'] as const, personStatusFromJSON, 'PERSON_STATUS_'),
  deathCause: enumMap(['ILLNESS', 'OTHER'] as const, deathCauseFromJSON, 'DEATH_CAUSE_'),
  benefit: enumMap(BENEFITS, benefitKindFromJSON, 'BENEFIT_KIND_'),
  adjustment: enumMap(['BACK_PAY', 'OVERPAYMENT', 'ONE_OFF'] as const, adjustmentKindFromJSON, 'ADJUSTMENT_KIND_'),
  lineKind: enumMap(['REGULAR', 'BACK_PAY', 'RECOVERY', 'ONE_OFF'] as const, payrollLineKindFromJSON, 'PAYROLL_LINE_KIND_'),
  changeKind: enumMap(
    ['REGISTRATION', 'IMPORT', 'ADD_IDENTITY', 'CHANGE_IDENTITY', 'END_IDENTITY', 'SUSPEND', 'RESUME', 'TRANSFER_OUT', 'RECORD_DEATH', 'CHANGE_PAYEE', 'RECOMPUTE'] as const,
    changeKindFromJSON,
    'CHANGE_KIND_',
  ),
  changeStatus: enumMap(['OPEN', 'PROPOSED', 'APPROVED', 'REJECTED'] as const, changeStatusFromJSON, 'CHANGE_STATUS_'),
};

export const toPbCategory = (c: Attributes['category']) => enums.category.toNumber(c);
export const toPbCause = (c: Cause | null) => enums.cause.toNumber(c);

export const toPbDate = (d: CivilDate): PbDate => parts(d);
export const toPbMonth = (m: YearMonth): PbMonth => ({ year: Number(m.slice(0, 4)), month: Number(m.slice(5, 7)) });
export const money = (fen: bigint) => ({ fen });

export const toPbAttributes = (a: Attributes): EntitlementAttributes => ({
  category: enums.category.toNumber(a.category),
  disabilityGrade: a.grade,
  cause: enums.cause.toNumber(a.cause),
  enlistmentPeriod: enums.period.toNumber(a.enlistmentPeriod),
  serviceYears: a.serviceYears,
  mentalDisorder: a.mentalDisorder,
});

// ---- request schemas (zod): shape and enum validity; domain rules come after ----

/** A required youfu.common.v1.CivilDate → 'YYYY-MM-DD'. */
export const civilDate = z
  .object({ year: z.number().int().min(1900).max(9999), month: z.number().int(), day: z.number().int() }, { error: 'required' })
  .refine((d) => isValidDate(fromParts(d.year, d.month, d.day)), 'not a valid date')
  .transform((d) => fromParts(d.year, d.month, d.day));

/** A required youfu.common.v1.YearMonth → 'YYYY-MM'. */
export const yearMonth = z
  .object({ year: z.number().int().min(1900).max(9999), month: z.number().int().min(1).max(12) }, { error: 'required' })
  .transform((m) => `${String(m.year).padStart(4, '0')}-${String(m.month).padStart(2, '0')}`);

function requiredEnum<T extends string>(map: EnumMap<T>, what: string) {
  return z.number().transform((n, ctx) => {
    const v = map.fromNumber(n);
    if (!v) {
      ctx.addIssue({ code: 'custom', message: `${what} is required` });
      return z.NEVER;
    }
    return v;
  });
}
function optionalEnum<T extends string>(map: EnumMap<T>, what: string) {
  return z.number().transform((n, ctx) => {
    if (n === 0) return null;
    const v = map.fromNumber(n);
    if (!v) {
      ctx.addIssue({ code: 'custom', message: `unknown ${what}` });
      return z.NEVER;
    }
    return v;
  });
}

export const uuid = z.string().uuid('must be a UUID');
const text = (max: number) => z.string().trim().max(max);

export const attributesSchema = z
  .object(
    {
      category: requiredEnum(enums.category, 'category'),
      disabilityGrade: z.number().int(),
      cause: optionalEnum(enums.cause, 'cause'),
      enlistmentPeriod: optionalEnum(enums.period, 'enlistment period'),
      serviceYears: z.number().int(),
      mentalDisorder: z.boolean(),
    },
    { error: 'required' },
  )
  .transform(
    (a): Attributes => ({
      category: a.category,
      grade: a.disabilityGrade,
      cause: a.cause as Cause | null,
      enlistmentPeriod: a.enlistmentPeriod as EnlistmentPeriod | null,
      serviceYears: a.serviceYears,
      mentalDisorder: a.mentalDisorder,
    }),
  );

export const payeeSchema = z.object(
  { bank: text(100), accountNumber: z.string().trim(), accountName: text(100) },
  { error: 'required' },
);

const contactSchema = z
  .object({ phone: text(40), address: text(300) })
  .optional()
  .transform((c) => c ?? { phone: '', address: '' });

export const registrationSchema = z.object(
  {
    nationalId: z.string().trim().min(1, 'required').max(40),
    name: text(100),
    gender: requiredEnum(enums.gender, 'gender'),
    birthDate: civilDate,
    districtCode: z.string().trim(),
    residence: requiredEnum(enums.residence, 'residence'),
    contact: contactSchema,
    approvalDate: civilDate,
    payee: payeeSchema,
    identities: z.array(z.object({ attributes: attributesSchema, effectiveFrom: civilDate })).max(10),
  },
  { error: 'required' },
);

export const changeDateSchema = z.object({ effectiveDate: civilDate }, { error: 'required' });

/** Parses with zod; a failure is INVALID_ARGUMENT with field paths under `prefix`. */
export function parseOr<T>(schema: z.ZodType<T>, value: unknown, prefix: ReadonlyArray<PropertyKey> = []): T {
  const r = schema.safeParse(value);
  if (!r.success) throw fromZodError(r.error, prefix);
  return r.data;
}
