/** Standards versions: levels and regions, effective dates, and the DRAFT → APPROVED → PUBLISHED life cycle. */
import { isValidDate, type CivilDate } from '../../lib/civil';
import { aborted, alreadyExists, failedPrecondition } from '../../lib/errors';
import { describeKey, keyString, type Row, type RowKey } from './keys';

export const LEVELS = ['NATIONAL', 'LOCAL'] as const;
export type Level = (typeof LEVELS)[number];
export const STATUSES = ['DRAFT', 'APPROVED', 'PUBLISHED', 'SUPERSEDED', 'DISCARDED'] as const;
export type Status = (typeof STATUSES)[number];

/** What a lookup needs to know about a version. */
export interface VersionHead {
  id: string;
  level: Level;
  /** '' for NATIONAL; a 6-digit code for LOCAL. */
  regionCode: string;
  effectiveFrom: CivilDate;
}

export interface Version extends VersionHead {
  title: string;
  documentNumber: string;
  source: string;
  status: Status;
  baseVersionId: string | null;
  correctsVersionId: string | null;
  supersededByVersionId: string | null;
  /** Optimistic-concurrency revision. */
  revision: bigint;
  createdBy: string;
  createdAt: Date;
  /** Everyone else who changed the draft's rows (maker–checker counts them as makers too). */
  editedBy: string[];
  approvedBy: string | null;
  approvedAt: Date | null;
  publishedBy: string | null;
  publishedAt: Date | null;
  rowCount: number;
  discardedBy: string | null;
  discardedAt: Date | null;
  discardReason: string | null;
}

/** Only a version not yet published may be discarded. */
export function assertDiscardable(v: Version): void {
  if (v.status !== 'DRAFT' && v.status !== 'APPROVED') {
    throw failedPrecondition('VERSION_NOT_DISCARDABLE', `version ${v.id} is ${v.status}; only a DRAFT or APPROVED version can be discarded`, { versionId: v.id, status: v.status });
  }
}

/** A version a lookup may take as its candidate: one not published yet and not discarded. */
export function assertCandidate(v: Version): void {
  if (v.status !== 'DRAFT' && v.status !== 'APPROVED') {
    throw failedPrecondition('CANDIDATE_NOT_USABLE', `version ${v.id} is ${v.status}; a candidate is a DRAFT or APPROVED version`, { versionId: v.id, status: v.status });
  }
}

/** A version starts on the first day of a month. */
export const isFirstOfMonth = (d: CivilDate): boolean => isValidDate(d) && d.endsWith('-01');

const REGION = /^(?!00)\d{6}$/;

/** Why a (level, region) pair is invalid, or undefined. LOCAL regions: province xx0000, city xxxx00, district xxxxxx. */
export function regionProblem(level: Level, regionCode: string): string | undefined {
  if (level === 'NATIONAL') return regionCode === '' ? undefined : 'a NATIONAL version has no region code';
  return REGION.test(regionCode) ? undefined : 'a LOCAL version needs a 6-digit region code (province xx0000, city xxxx00 or district xxxxxx)';
}

export const isRegionCode = (s: string): boolean => REGION.test(s);
export const isCityCode = (s: string): boolean => REGION.test(s) && s.endsWith('00') && !s.endsWith('0000');

/** The city (`xxxx00`) a district belongs to; index series are kept per city. */
export const cityOf = (district: string): string => `${district.slice(0, 4)}00`;

/** The LOCAL regions whose top-ups apply to a district, broadest first: province, city, district (no repeats). */
export function regionChain(district: string): string[] {
  return [...new Set([`${district.slice(0, 2)}0000`, cityOf(district), district])];
}

/** Stale updates fail with ABORTED so the caller re-reads and retries. */
export function assertRevision(v: Version, expected: bigint): void {
  if (v.revision !== expected) throw aborted('STALE_REVISION', `version ${v.id} is at revision ${v.revision}, not ${expected}; re-read it and retry`);
}

/** Only a DRAFT may change; published versions are immutable. */
export function assertDraft(v: Version): void {
  if (v.status !== 'DRAFT') {
    const hint = v.status === 'PUBLISHED' ? ' (published versions are immutable; use CorrectPublishedVersion)' : '';
    throw failedPrecondition('VERSION_NOT_DRAFT', `version ${v.id} is ${v.status}, not DRAFT${hint}`, { versionId: v.id, status: v.status });
  }
}

export function assertApproved(v: Version): void {
  if (v.status !== 'APPROVED') throw failedPrecondition('VERSION_NOT_APPROVED', `version ${v.id} is ${v.status}; only an APPROVED version can be published`, { versionId: v.id, status: v.status });
}

/** Whom maker–checker treats as a draft's makers: its creator and everyone who changed its rows. */
export const makersOf = (v: Pick<Version, 'createdBy' | 'editedBy'>): string[] => [...new Set([v.createdBy, ...v.editedBy])];

/**
 * A draft copied or indexed from a version that a correction has since replaced would carry the
 * wrong figures forward: it must start again from the correction.
 */
export function assertBaseNotSuperseded(base: Pick<Version, 'id' | 'status' | 'supersededByVersionId'>): void {
  if (base.status === 'SUPERSEDED')
    throw failedPrecondition('BASE_SUPERSEDED', `base version ${base.id} was replaced by the correction ${base.supersededByVersionId}; start the draft from that version instead`, {
      versionId: base.id,
      supersededByVersionId: base.supersededByVersionId ?? '',
    });
}

/** A base or a corrected version must be of the same level and region as the draft. */
export function assertSameSeries(draft: Pick<VersionHead, 'level' | 'regionCode'>, base: VersionHead): void {
  if (draft.level !== base.level || draft.regionCode !== base.regionCode)
    throw failedPrecondition('BASE_IN_OTHER_SERIES', `base version ${base.id} is ${base.level} ${base.regionCode || ''}, not ${draft.level} ${draft.regionCode || ''}`.trim());
}

/**
 * Two published versions of one level and region may not share an effective date, except through a
 * correction (which supersedes the published one). `existing` is the PUBLISHED version with the same
 * level, region and effective date, if any.
 */
export function assertNoDuplicateDate(v: Pick<Version, 'level' | 'regionCode' | 'effectiveFrom' | 'correctsVersionId'>, existing: VersionHead | undefined): void {
  if (existing && existing.id !== v.correctsVersionId)
    throw alreadyExists(`a published ${v.level} version${v.regionCode ? ` for ${v.regionCode}` : ''} effective ${v.effectiveFrom} (${existing.id}); correct it with CorrectPublishedVersion instead`, 'DUPLICATE_EFFECTIVE_DATE');
}

/** Keys the base had that the draft lacks. */
export function missingKeys(draft: Row[], base: Row[]): RowKey[] {
  const have = new Set(draft.map((r) => keyString(r.key)));
  return base.filter((r) => !have.has(keyString(r.key))).map((r) => r.key);
}

/** Approval rules besides maker–checker: a non-empty DRAFT that still has every key of its base. */
export function assertApprovable(v: Version, rows: Row[], baseRows: Row[] | undefined): void {
  assertDraft(v);
  if (!rows.length) throw failedPrecondition('EMPTY_VERSION', `version ${v.id} has no rows`);
  const missing = baseRows ? missingKeys(rows, baseRows) : [];
  if (missing.length) {
    const names = missing.map(describeKey);
    throw failedPrecondition('MISSING_BASE_KEY', `draft ${v.id} lacks ${names.length} key(s) of its base version ${v.baseVersionId}: ${names.join('; ')}`, {
      missingKeys: missing.map(keyString).join(','),
    });
  }
}
