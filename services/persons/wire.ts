/** Conversions between the protobuf contract (youfu.persons.v1) and the domain, and request schemas. */
import { z } from 'zod';
import type { EntitlementAttributes } from '../../protos/gen/youfu/common/v1/entitlement';
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
import { entitlementAttributes, entitlementEnums } from '../lib/entitlement';
import { civilDate, enumMap, requiredEnum, toProtoDate, toProtoMonth } from '../lib/proto';
import { BENEFITS, type Attributes, type Cause, type EnlistmentPeriod } from './domain/types';

export { civilDate, money, yearMonth } from '../lib/proto';

export const enums = {
  ...entitlementEnums,
  gender: enumMap(['MALE', 'FEMALE'] as const, genderFromJSON, 'GENDER_'),
  status: enumMap(['ACTIVE', 'SUSPENDED', 'DECEASED', 'TRANSFERRED_OUT'] as const, personStatusFromJSON, 'PERSON_STATUS_'),
  deathCause: enumMap(['ILLNESS', 'OTHER'] as const, deathCauseFromJSON, 'DEATH_CAUSE_'),
  benefit: enumMap(BENEFITS, benefitKindFromJSON, 'BENEFIT_KIND_'),
  adjustment: enumMap(['BACK_PAY', 'OVERPAYMENT', 'ONE_OFF'] as const, adjustmentKindFromJSON, 'ADJUSTMENT_KIND_'),
  lineKind: enumMap(['REGULAR', 'BACK_PAY', 'RECOVERY', 'ONE_OFF'] as const, payrollLineKindFromJSON, 'PAYROLL_LINE_KIND_'),
  changeKind: enumMap(
    ['REGISTRATION', 'IMPORT', 'ADD_IDENTITY', 'CHANGE_IDENTITY', 'END_IDENTITY', 'SUSPEND', 'RESUME', 'TRANSFER_OUT', 'RECORD_DEATH', 'CHANGE_PAYEE', 'RECOMPUTE', 'STANDARDS_ADJUSTMENT'] as const,
    changeKindFromJSON,
    'CHANGE_KIND_',
  ),
  changeStatus: enumMap(['OPEN', 'PROPOSED', 'APPROVED', 'REJECTED'] as const, changeStatusFromJSON, 'CHANGE_STATUS_'),
};


export const toPbDate = toProtoDate;
export const toPbMonth = toProtoMonth;

export const toPbAttributes = (a: Attributes): EntitlementAttributes => ({
  category: enums.category.toNumber(a.category),
  disabilityGrade: a.grade,
  cause: enums.cause.toNumber(a.cause),
  enlistmentPeriod: enums.period.toNumber(a.enlistmentPeriod),
  serviceYears: a.serviceYears,
  mentalDisorder: a.mentalDisorder,
});

// ---- request schemas (zod): shape and enum validity; domain rules come after ----

export const uuid = z.string().uuid('must be a UUID');
const text = (max: number) => z.string().trim().max(max);

export const attributesSchema = entitlementAttributes
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
    gender: requiredEnum(enums.gender),
    birthDate: civilDate,
    districtCode: z.string().trim(),
    residence: requiredEnum(enums.residence),
    contact: contactSchema,
    approvalDate: civilDate,
    payee: payeeSchema,
    identities: z.array(z.object({ attributes: attributesSchema, effectiveFrom: civilDate })).max(10),
  },
  { error: 'required' },
);


