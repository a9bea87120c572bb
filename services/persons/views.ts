/** Rows → protobuf responses. Full ID and account numbers only for callers who may read them. */
import type {
  AdjustmentLine,
  AuditEntry,
  BenefitPeriod,
  ChangeRequest,
  Identity,
  PayrollSummary,
  Person,
} from '../../protos/gen/youfu/persons/v1/persons';
import { mayReadFullId, type Caller } from '../lib/auth';
import type { PiiVault } from '../lib/pii';
import type { Contact } from './domain/types';
import type { PayrollResult } from './payroll';
import type * as store from './store';
import { enums, money, toPbAttributes, toPbDate, toPbMonth } from './wire';

export function identityView(r: store.IdentityRow): Identity {
  const span = { category: r.category, grade: r.grade, cause: r.cause, enlistmentPeriod: r.enlistment_period, serviceYears: r.service_years, mentalDisorder: r.mental_disorder };
  return {
    identityId: r.id,
    attributes: toPbAttributes(span),
    effectiveFrom: toPbDate(r.effective_from),
    ...(r.effective_to ? { effectiveTo: toPbDate(r.effective_to) } : {}),
  };
}

export function personView(p: store.PersonRow, identities: readonly store.IdentityRow[], caller: Caller, pii: PiiVault): Person {
  const full = mayReadFullId(caller);
  const contact = JSON.parse(pii.decrypt(p.contact_enc)) as Contact;
  return {
    personId: p.id,
    nationalId: full ? pii.decrypt(p.id_enc) : p.id_masked,
    nationalIdMasked: p.id_masked,
    name: pii.decrypt(p.name_enc),
    gender: enums.gender.toNumber(p.gender as 'MALE' | 'FEMALE'),
    birthDate: toPbDate(p.birth_date),
    districtCode: p.district,
    residence: enums.residence.toNumber(p.residence as 'URBAN' | 'RURAL'),
    contact,
    approvalDate: toPbDate(p.approval_date),
    historyFrom: toPbMonth(p.history_from),
    payee: {
      bank: p.payee_bank,
      accountNumber: full ? pii.decrypt(p.payee_account_enc) : p.payee_account_masked,
      accountName: pii.decrypt(p.payee_name_enc),
    },
    status: enums.status.toNumber(p.status),
    statusDate: toPbDate(p.status_date),
    statusReason: p.status_reason ?? '',
    deathCause: enums.deathCause.toNumber(p.death_cause as 'ILLNESS' | 'OTHER' | null),
    identities: identities.map(identityView),
    version: p.version,
    registeredAt: p.registered_at,
  };
}

export function changeView(c: store.ChangeRow): ChangeRequest {
  return {
    changeId: c.id,
    kind: enums.changeKind.toNumber(c.kind as never),
    status: enums.changeStatus.toNumber(c.status),
    personId: c.person_id ?? '',
    nationalIdMasked: c.id_masked ?? '',
    baseVersion: c.base_version,
    ...(c.effective_date ? { effectiveDate: toPbDate(c.effective_date) } : {}),
    summary: c.summary,
    proposedBy: c.proposed_by,
    proposedAt: c.proposed_at,
    decidedBy: c.decided_by ?? '',
    decidedVia: c.decided_via ?? '',
    ...(c.decided_at ? { decidedAt: c.decided_at } : {}),
    decisionNote: c.decision_note ?? '',
    importKey: c.import_key ?? '',
    recordCount: c.record_count,
    origin: c.origin ?? '',
  };
}

export const periodView = (p: store.PeriodRow): BenefitPeriod => ({
  periodId: p.id,
  benefit: enums.benefit.toNumber(p.benefit),
  fromMonth: toPbMonth(p.from_month),
  ...(p.to_month ? { toMonth: toPbMonth(p.to_month) } : {}),
  monthlyAmount: money(p.monthly_fen),
  identityId: p.identity_id,
  category: enums.category.toNumber(p.category),
  versionsUsed: p.versions,
  missing: p.missing,
  recordedByChange: p.recorded_by,
  supersededByChange: p.superseded_by ?? '',
});

export const adjustmentView = (a: store.AdjustmentRow): AdjustmentLine => ({
  lineId: a.id,
  benefit: enums.benefit.toNumber(a.benefit as never),
  month: toPbMonth(a.month),
  kind: enums.adjustment.toNumber(a.kind),
  amount: money(a.amount_fen),
  source: a.source,
  settled: money(a.settled_fen),
  recordedAt: a.recorded_at,
});

export const auditView = (a: store.AuditRow): AuditEntry => ({
  at: a.at,
  changeId: a.change_id ?? '',
  action: a.action,
  actor: a.actor,
  actorRole: a.actor_role,
  via: a.via ?? '',
  proposedBy: a.proposed_by ?? '',
  before: a.before ? JSON.stringify(a.before) : '',
  after: JSON.stringify(a.after),
});

/** The payroll result with national IDs resolved for the caller (`ids`: person id → shown ID). */
export function payrollView(r: PayrollResult, ids: ReadonlyMap<string, string>): PayrollSummary {
  const total = (x: { key: string | null; amount: string; lines: number; persons: number }, by: 'category' | 'district') => ({
    category: by === 'category' && x.key ? enums.category.toNumber(x.key as never) : 0,
    districtCode: by === 'district' ? (x.key ?? '') : '',
    amount: money(BigInt(x.amount)),
    lines: x.lines,
    persons: x.persons,
  });
  return {
    month: toPbMonth(r.month),
    runBy: r.runBy,
    runAt: new Date(r.runAt),
    total: money(BigInt(r.total)),
    regular: money(BigInt(r.regular)),
    backPay: money(BigInt(r.backPay)),
    recovered: money(BigInt(r.recovered)),
    oneOff: money(BigInt(r.oneOff)),
    lines: r.lines,
    personsPaid: r.personsPaid,
    byCategory: r.byCategory.map((x) => total(x, 'category')),
    byDistrict: r.byDistrict.map((x) => total(x, 'district')),
    skipped: r.skipped.map((s) => ({ personId: s.personId, nationalId: ids.get(s.personId) ?? '', status: enums.status.toNumber(s.status), reason: s.reason })),
    skippedCount: r.skippedCount,
    exceptions: r.exceptions.map((e) => ({ personId: e.personId, nationalId: ids.get(e.personId) ?? '', benefit: enums.benefit.toNumber(e.benefit as never), missing: e.missing })),
    exceptionCount: r.exceptionCount,
  };
}
