/** Request validation (zod): every handler parses its request here first; failures are INVALID_ARGUMENT with field paths. */
import { LIMITS } from '../lib/money';
import { z } from 'zod';
import { entitlementAttributes } from '../lib/entitlement';
import { pageRequest } from '../lib/paging';
import { indexationRuleProblems, type IndexationRule } from './domain/indexation';
import { keyProblems, keyString, rowProblems, type Problem, type RowKey, type Rule } from './domain/keys';
import { identityProblems, INDEX_KINDS } from './domain/lookup';
import { isCityCode, isFirstOfMonth, isRegionCode, regionProblem } from './domain/versions';
import { isValidDate } from '../lib/civil';
import { civilDate, optionalEnum, requiredEnum } from '../lib/proto';
import { enums } from './wire';

const report = (ctx: z.RefinementCtx, problems: Problem[], prefix: (string | number)[] = []) =>
  problems.forEach((p) => ctx.addIssue({ code: 'custom', path: [...prefix, ...p.path], message: p.message }));

const effectiveFrom = civilDate.refine(isFirstOfMonth, 'must be the first day of a month');
const versionId = z.string().uuid('must be a version id (UUID)');
const optionalVersionId = z.union([z.literal('').transform(() => null), versionId]);
const revision = z.bigint('required').positive('must be the revision you last read (≥ 1)');
const text = (max: number) => z.string().trim().max(max);
const requiredText = (max: number) => text(max).min(1, 'required');
const fen = z.object({ fen: z.bigint() }, { error: 'required' }).transform((m) => m.fen);
const bp = z.number().int().min(-LIMITS.basisPoints).max(LIMITS.basisPoints);

const rowKeyShape = z.object({
  category: requiredEnum(enums.category),
  cause: optionalEnum(enums.cause),
  disabilityGrade: z.number().int(),
  enlistmentPeriod: optionalEnum(enums.period),
  component: requiredEnum(enums.component),
}, { error: 'required' });
const rowKey = rowKeyShape.superRefine((k, ctx) => report(ctx, keyProblems(k)));

const rule = z
  .union(
    [
      z.object({ $case: z.literal('annualAmount'), value: fen }),
      z.object({ $case: z.literal('perServiceYearAmount'), value: fen }),
      z.object({ $case: z.literal('nursingFeeShare'), value: z.object({ basisPoints: bp, requiresMentalDisorder: z.boolean() }) }),
      z.object({ $case: z.literal('incomeShareBasisPoints'), value: bp }),
    ],
    { error: 'exactly one rule is required (annualAmount, perServiceYearAmount, nursingFeeShare or incomeShareBasisPoints)' },
  )
  .transform((r): Rule => {
    switch (r.$case) {
      case 'annualAmount':
        return { kind: 'ANNUAL_AMOUNT', fen: r.value };
      case 'perServiceYearAmount':
        return { kind: 'PER_SERVICE_YEAR_AMOUNT', fen: r.value };
      case 'nursingFeeShare':
        return { kind: 'NURSING_FEE_SHARE', bp: r.value.basisPoints, requiresMentalDisorder: r.value.requiresMentalDisorder };
      case 'incomeShareBasisPoints':
        return { kind: 'INCOME_SHARE', bp: r.value };
    }
  });

const row = z.object({ key: rowKeyShape, rule }).superRefine((r, ctx) => report(ctx, rowProblems(r)));

/** Rejects a key given twice in one request. */
const distinctKeys = <T>(keyOf: (t: T) => RowKey, ...field: string[]) => (items: T[], ctx: z.RefinementCtx) => {
  const seen = new Map<string, number>();
  items.forEach((it, i) => {
    const k = keyString(keyOf(it));
    const first = seen.get(k);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, ...field], message: `duplicate of item [${first}]` });
    else seen.set(k, i);
  });
};

const MAX_ROWS = 5000;

export const createDraftRequest = z
  .object({
    title: requiredText(300),
    documentNumber: text(200),
    source: requiredText(500),
    level: requiredEnum(enums.level),
    regionCode: z.string(),
    effectiveFrom,
    baseVersionId: optionalVersionId,
  })
  .superRefine((r, ctx) => {
    const p = regionProblem(r.level, r.regionCode);
    if (p) ctx.addIssue({ code: 'custom', path: ['regionCode'], message: p });
  });

export const upsertDraftRowsRequest = z.object({
  versionId,
  expectedRevision: revision,
  rows: z.array(row).min(1, 'at least one row').max(MAX_ROWS).superRefine(distinctKeys((r) => r.key, 'key')),
});

export const deleteDraftRowsRequest = z.object({
  versionId,
  expectedRevision: revision,
  keys: z.array(rowKey).min(1, 'at least one key').max(MAX_ROWS).superRefine(distinctKeys((k) => k)),
});

const indexationRule = z
  .object({
    category: requiredEnum(enums.category),
    cause: optionalEnum(enums.cause),
    gradeFrom: z.number().int(),
    gradeTo: z.number().int(),
    change: z.union(
      [
        z.object({ $case: z.literal('raiseBasisPoints'), value: z.number().int().gt(-10_000).max(LIMITS.basisPoints) }),
        z.object({ $case: z.literal('increment'), value: fen.refine((f) => f !== 0n && f <= LIMITS.annualFen && f >= -LIMITS.annualFen, `must not be 0, and |x| ≤ ${LIMITS.annualFen} fen`) }),
      ],
      { error: 'exactly one change is required (raiseBasisPoints or increment)' },
    ),
  })
  .transform(
    (r): IndexationRule => ({
      category: r.category,
      cause: r.cause,
      gradeFrom: r.gradeFrom,
      gradeTo: r.gradeTo,
      change: r.change.$case === 'raiseBasisPoints' ? { kind: 'RAISE', bp: r.change.value } : { kind: 'INCREMENT', fen: r.change.value },
    }),
  );

export const proposeIndexedDraftRequest = (defaultUnitFen: bigint) =>
  z.object({
    baseVersionId: versionId,
    effectiveFrom,
    title: requiredText(300),
    documentNumber: text(200),
    source: requiredText(500),
    rules: z.array(indexationRule).min(1, 'at least one rule').max(500).superRefine((rules, ctx) => report(ctx, indexationRuleProblems(rules))),
    roundingUnit: z
      .object({ fen: z.bigint() })
      .optional()
      .transform((m) => (m && m.fen !== 0n ? m.fen : defaultUnitFen))
      .refine((f) => f > 0n && f <= LIMITS.unitFen, `must be > 0 and ≤ ${LIMITS.unitFen} fen`),
  });

export const correctPublishedVersionRequest = z.object({ versionId, title: text(300), documentNumber: text(200), source: text(500) });
export const diffVersionsRequest = z.object({ fromVersionId: versionId, toVersionId: versionId });
export const decideRequest = z.object({ versionId, expectedRevision: revision });
export const getVersionRequest = z.object({ versionId });

export const listVersionsRequest = z.object({
  level: optionalEnum(enums.level),
  regionCode: z.string().refine((s) => s === '' || isRegionCode(s), 'must be a 6-digit region code or empty'),
  status: optionalEnum(enums.status),
  page: pageRequest,
});
export const versionCursor = z.object({ effectiveFrom: z.string().regex(/^(19|2\d)\d\d-\d\d-\d\d$/).refine(isValidDate), id: z.string().uuid() });

const cityCode = z.string().refine(isCityCode, 'must be a city code xxxx00');

export const setIndexValueRequest = z.object({
  kind: requiredEnum(enums.index),
  cityCode,
  year: z.number().int().min(1949).max(9999),
  value: fen.refine((f) => f > 0n && f <= LIMITS.indexFen, `must be > 0 and ≤ ${LIMITS.indexFen} fen (a yearly index value)`),
  expectedRevision: z.bigint().min(0n, 'must be 0 (new) or the revision you last read'),
});

export const approveIndexValueRequest = z.object({
  kind: requiredEnum(enums.index),
  cityCode,
  year: z.number().int().min(1949).max(9999),
  expectedRevision: revision,
});

export const listIndexValuesRequest = z.object({
  kind: optionalEnum(enums.index),
  cityCode: z.union([z.literal(''), cityCode]),
  page: pageRequest,
});
export const indexCursor = z.object({ kind: z.enum(INDEX_KINDS), cityCode: z.string().regex(/^\d{6}$/), year: z.number().int().min(1900).max(2999) });

const identity = entitlementAttributes
  .superRefine((a, ctx) => report(ctx, identityProblems(a)));

export const lookupRequest = z.object({
  attributes: identity,
  districtCode: z.string().refine(isRegionCode, 'must be a 6-digit district code'),
  date: civilDate,
});
export type LookupRequest = z.output<typeof lookupRequest>;

/** Items per BatchLookupBenefits call: a worst-case item is ~700 bytes, so a response stays under gRPC's default 4 MiB. */
export const MAX_BATCH = 5_000;
export const batchLookupRequest = z.object({
  items: z.array(z.unknown()).min(1, 'at least one item').max(MAX_BATCH),
  candidateVersionId: z.union([z.literal(''), versionId]),
  beforeVersionId: z.union([z.literal(''), versionId]),
}).refine((r) => !(r.candidateVersionId && r.beforeVersionId), { path: ['beforeVersionId'], message: 'not together with candidateVersionId' });
export const discardRequest = z.object({ versionId, expectedRevision: revision, reason: z.string().trim().min(1, 'required').max(2000) });
