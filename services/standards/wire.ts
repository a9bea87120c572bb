/** Conversions between the protobuf contract (youfu.standards.v1) and the domain types. */
import type { VersionPublished } from '../../protos/gen/youfu/standards/v1/events';
import {
  IndexValueStatus,
  indexKindFromJSON,
  rowComponentFromJSON,
  standardLevelFromJSON,
  versionStatusFromJSON,
  type Benefit as ProtoBenefit,
  type IndexValue as ProtoIndexValue,
  type RowKey as ProtoRowKey,
  type StandardRow,
  type StandardVersion,
  type VersionRef,
} from '../../protos/gen/youfu/standards/v1/standards';
import { entitlementEnums } from '../lib/entitlement';
import { enumMap, money, toProtoDate } from '../lib/proto';
import { COMPONENTS, type Row, type RowKey, type Rule } from './domain/keys';
import { INDEX_KINDS, type Benefit } from './domain/lookup';
import { LEVELS, STATUSES, type Version, type VersionHead } from './domain/versions';
import type { StoredIndexValue } from './store';

export const enums = {
  category: entitlementEnums.category,
  cause: entitlementEnums.cause,
  period: entitlementEnums.period,
  component: enumMap(COMPONENTS, rowComponentFromJSON, 'ROW_COMPONENT_'),
  level: enumMap(LEVELS, standardLevelFromJSON, 'STANDARD_LEVEL_'),
  status: enumMap(STATUSES, versionStatusFromJSON, 'VERSION_STATUS_'),
  index: enumMap(INDEX_KINDS, indexKindFromJSON, 'INDEX_KIND_'),
};


export const keyToProto = (k: RowKey): ProtoRowKey => ({
  category: enums.category.toNumber(k.category),
  cause: enums.cause.toNumber(k.cause),
  disabilityGrade: k.disabilityGrade,
  enlistmentPeriod: enums.period.toNumber(k.enlistmentPeriod),
  component: enums.component.toNumber(k.component),
});

export function ruleToProto(r: Rule): StandardRow['rule'] {
  switch (r.kind) {
    case 'ANNUAL_AMOUNT':
      return { $case: 'annualAmount', value: money(r.fen) };
    case 'PER_SERVICE_YEAR_AMOUNT':
      return { $case: 'perServiceYearAmount', value: money(r.fen) };
    case 'NURSING_FEE_SHARE':
      return { $case: 'nursingFeeShare', value: { basisPoints: r.bp, requiresMentalDisorder: r.requiresMentalDisorder } };
    case 'INCOME_SHARE':
      return { $case: 'incomeShareBasisPoints', value: r.bp };
  }
}

export const rowToProto = (r: Row): StandardRow => ({ key: keyToProto(r.key), rule: ruleToProto(r.rule) });

export const versionToProto = (v: Version): StandardVersion => ({
  id: v.id,
  title: v.title,
  documentNumber: v.documentNumber,
  source: v.source,
  level: enums.level.toNumber(v.level),
  regionCode: v.regionCode,
  effectiveFrom: toProtoDate(v.effectiveFrom),
  status: enums.status.toNumber(v.status),
  baseVersionId: v.baseVersionId ?? '',
  correctsVersionId: v.correctsVersionId ?? '',
  supersededByVersionId: v.supersededByVersionId ?? '',
  revision: v.revision,
  createdBy: v.createdBy,
  createdAt: v.createdAt,
  approvedBy: v.approvedBy ?? '',
  approvedAt: v.approvedAt ?? undefined,
  publishedBy: v.publishedBy ?? '',
  publishedAt: v.publishedAt ?? undefined,
  rowCount: v.rowCount,
  discardedBy: v.discardedBy ?? '',
  discardedAt: v.discardedAt ?? undefined,
  discardReason: v.discardReason ?? '',
});

export const refToProto = (v: VersionHead): VersionRef => ({
  id: v.id,
  level: enums.level.toNumber(v.level),
  regionCode: v.regionCode,
  effectiveFrom: toProtoDate(v.effectiveFrom),
});

export const benefitToProto = (b: Benefit): ProtoBenefit => ({
  annualAmount: money(b.annualFen),
  monthlyAmount: money(b.monthlyFen),
  layers: b.layers.map((l) => ({ version: refToProto(l.version), annualAmount: money(l.annualFen), perServiceYearAmount: money(l.perServiceYearFen) })),
  nursingFee: b.nursingFee && {
    shareBasisPoints: b.nursingFee.bp,
    shareVersion: refToProto(b.nursingFee.shareVersion),
    wageYear: b.nursingFee.wageYear,
    monthlyWage: money(b.nursingFee.monthlyWageFen),
    monthlyAmount: money(b.nursingFee.monthlyFen),
  },
  incomeShare: b.incomeShare && {
    shareBasisPoints: b.incomeShare.bp,
    shareVersion: b.incomeShare.shareVersion && refToProto(b.incomeShare.shareVersion),
    incomeYear: b.incomeShare.incomeYear,
    annualIncome: money(b.incomeShare.annualIncomeFen),
    annualAmount: money(b.incomeShare.annualFen),
  },
  versionsUsed: b.versionsUsed.map(refToProto),
  missing: b.missing.map((m) => ({
    component: enums.component.toNumber(m.component),
    index: enums.index.toNumber(m.index),
    cityCode: m.cityCode,
    year: m.year,
    description: m.description,
  })),
  provisional: b.provisional.map((p) => ({
    component: enums.component.toNumber(p.component),
    index: enums.index.toNumber(p.index),
    cityCode: p.cityCode,
    year: p.year,
    usedYear: p.usedYear,
    description: p.description,
  })),
});

export const indexValueToProto = (v: StoredIndexValue): ProtoIndexValue => ({
  kind: enums.index.toNumber(v.kind),
  cityCode: v.cityCode,
  year: v.year,
  ...(v.valueFen === null ? {} : { value: money(v.valueFen) }),
  revision: v.revision,
  setBy: v.setBy,
  setAt: v.setAt,
  status: v.proposedFen === null ? IndexValueStatus.INDEX_VALUE_STATUS_IN_FORCE : IndexValueStatus.INDEX_VALUE_STATUS_PROPOSED,
  ...(v.proposedFen === null ? {} : { proposedValue: money(v.proposedFen) }),
  proposedBy: v.proposedBy ?? '',
  approvedBy: v.approvedBy ?? '',
  ...(v.approvedAt ? { approvedAt: v.approvedAt } : {}),
});

export const versionPublishedEvent = (
  v: Version,
  previousVersionId: string | null,
  summary: VersionPublished['summary'],
): VersionPublished => ({
  versionId: v.id,
  effectiveFrom: toProtoDate(v.effectiveFrom),
  level: enums.level.toNumber(v.level),
  regionCode: v.regionCode,
  supersededVersionId: v.correctsVersionId ?? '',
  previousVersionId: previousVersionId ?? '',
  summary,
  title: v.title,
  publishedAt: v.publishedAt ?? undefined,
});
