import {
  categoryFromJSON,
  disabilityCauseFromJSON,
  enlistmentPeriodFromJSON,
  residenceFromJSON,
} from '../../protos/gen/youfu/common/v1/entitlement';
import { z } from 'zod';
import { enumMap, optionalEnum, requiredEnum } from './proto';

/** The shared vocabulary of entitlements (domain.md §1; protos/youfu/common/v1/entitlement.proto). */

export const CATEGORIES = [
  'DISABLED_SERVICEMAN',
  'MARTYR_SURVIVOR',
  'DUTY_DEATH_SURVIVOR',
  'ILLNESS_DEATH_SURVIVOR',
  'DEMOBILIZED_RURAL',
  'RETURNED_WITH_ILLNESS',
  'WAR_OR_TEST_VETERAN',
  'RURAL_VETERAN_60',
  'MARTYR_CHILD_60',
  'CONSCRIPT_FAMILY',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const CAUSES = ['WAR', 'DUTY', 'ILLNESS'] as const;
export type Cause = (typeof CAUSES)[number];

export const PERIODS = ['ANTI_JAPANESE_WAR', 'LIBERATION_WAR', 'EARLY_PRC'] as const;
export type EnlistmentPeriod = (typeof PERIODS)[number];

export const RESIDENCES = ['URBAN', 'RURAL'] as const;
export type Residence = (typeof RESIDENCES)[number];

/** Highest disability grade pensioned for the cause ILLNESS (domain.md §1). */
export const MAX_ILLNESS_GRADE = 6;

/** The common.v1 enums through these names. */
export const entitlementEnums = {
  category: enumMap(CATEGORIES, categoryFromJSON, 'CATEGORY_'),
  cause: enumMap(CAUSES, disabilityCauseFromJSON, 'DISABILITY_CAUSE_'),
  period: enumMap(PERIODS, enlistmentPeriodFromJSON, 'ENLISTMENT_PERIOD_'),
  residence: enumMap(RESIDENCES, residenceFromJSON, 'RESIDENCE_'),
};

/** zod: a youfu.common.v1.EntitlementAttributes with valid enums (domain rules come after). */
export const entitlementAttributes = z.object(
  {
    category: requiredEnum(entitlementEnums.category),
    disabilityGrade: z.number().int(),
    cause: optionalEnum(entitlementEnums.cause),
    enlistmentPeriod: optionalEnum(entitlementEnums.period),
    serviceYears: z.number().int(),
    mentalDisorder: z.boolean(),
  },
  { error: 'required' },
);
