import { monthOf, type CivilDate, type YearMonth } from '../../lib/civil';
import { AppError, failedPrecondition, invalidArgument, notFound } from '../../lib/errors';
import { activeSpans, type Timeline } from './benefits';
import { anniversary, attributeViolations } from './rules';
import type { Attributes, DeathCause, IdentitySpan, Payee, Residence, Status, StatusEvent } from './types';

/** A proposed change to a registered person (after request validation). */
export type ChangeSpec =
  | { kind: 'ADD_IDENTITY'; attrs: Attributes; effectiveDate: CivilDate }
  | { kind: 'CHANGE_IDENTITY'; identityId: string; attrs: Attributes; effectiveDate: CivilDate }
  | { kind: 'END_IDENTITY'; identityId: string; effectiveDate: CivilDate; reason: string }
  | { kind: 'SUSPEND'; effectiveDate: CivilDate; reason: string }
  | { kind: 'RESUME'; effectiveDate: CivilDate }
  | { kind: 'TRANSFER_OUT'; effectiveDate: CivilDate; reason: string }
  | { kind: 'RECORD_DEATH'; effectiveDate: CivilDate; cause: DeathCause; nextOfKin: Payee }
  | { kind: 'CHANGE_PAYEE'; payee: Payee; effectiveDate: CivilDate }
  | { kind: 'RECOMPUTE'; effectiveDate: CivilDate };

export type ChangeKind = ChangeSpec['kind'];

/** The parts of a person a change is checked against and applied to. */
export interface PersonState {
  id: string;
  birthDate: CivilDate;
  /** Household registration: rural-only categories need RURAL. */
  residence: Residence;
  approvalDate: CivilDate;
  historyFrom: YearMonth;
  status: Status;
  statusDate: CivilDate;
  identities: IdentitySpan[];
  statusEvents: StatusEvent[];
}

/** Request field name of each change kind (for field paths). */
export const CHANGE_FIELD: Record<ChangeKind, string> = {
  ADD_IDENTITY: 'addIdentity',
  CHANGE_IDENTITY: 'changeIdentity',
  END_IDENTITY: 'endIdentity',
  SUSPEND: 'suspend',
  RESUME: 'resume',
  TRANSFER_OUT: 'transferOut',
  RECORD_DEATH: 'recordDeath',
  CHANGE_PAYEE: 'changePayee',
  RECOMPUTE: 'recompute',
};

const STATUS_CHANGES: readonly ChangeKind[] = ['SUSPEND', 'RESUME', 'TRANSFER_OUT', 'RECORD_DEATH'];
export const isStatusChange = (k: ChangeKind) => STATUS_CHANGES.includes(k);
/** Changes that re-derive benefit periods (all but the payee). */
export const movesBenefits = (k: ChangeKind) => k !== 'CHANGE_PAYEE';

const dateField = (s: ChangeSpec) => {
  const base = CHANGE_FIELD[s.kind];
  if (s.kind === 'ADD_IDENTITY') return `${base}.identity.effectiveFrom`;
  if (s.kind === 'RECORD_DEATH') return `${base}.dateOfDeath`;
  return `${base}.effectiveDate`;
};

const sameAttrs = (a: Attributes, b: Attributes) =>
  a.category === b.category && a.grade === b.grade && a.cause === b.cause && a.enlistmentPeriod === b.enlistmentPeriod &&
  a.serviceYears === b.serviceYears && a.mentalDisorder === b.mentalDisorder;

/**
 * Checks a change against the person's current state; throws AppError (INVALID_ARGUMENT with the
 * field path, NOT_FOUND, FAILED_PRECONDITION) when it may not be applied.
 */
export function checkChange(p: PersonState, s: ChangeSpec, today: CivilDate): void {
  const base = CHANGE_FIELD[s.kind];
  if (s.kind !== 'CHANGE_PAYEE') {
    if (s.effectiveDate > today) throw invalidArgument(dateField(s), 'must not be in the future', 'DATE_IN_FUTURE');
    if (s.effectiveDate < p.approvalDate) throw invalidArgument(dateField(s), `must not be before the approval date ${p.approvalDate}`, 'BEFORE_APPROVAL');
  }
  if ((p.status === 'DECEASED' || p.status === 'TRANSFERRED_OUT') && s.kind !== 'CHANGE_PAYEE' && s.kind !== 'RECOMPUTE') {
    throw failedPrecondition(`PERSON_${p.status}`, `the person is ${p.status.toLowerCase().replace('_', ' ')}; only the payee can change or the benefit be recomputed`);
  }
  if (isStatusChange(s.kind) && s.effectiveDate < p.statusDate) {
    throw failedPrecondition('BEFORE_LAST_STATUS_CHANGE', `the status last changed on ${p.statusDate}; a status change must not be dated before it`);
  }
  const identity = (id: string) => {
    const i = p.identities.find((x) => x.id === id);
    if (!i) throw notFound(`identity ${id}`);
    if (i.to !== null) throw failedPrecondition('IDENTITY_ENDED', `the identity ended on ${i.to}`);
    return i;
  };
  switch (s.kind) {
    case 'ADD_IDENTITY': {
      const vs = attributeViolations(s.attrs, `${base}.identity.attributes`);
      if (vs.length) throw new AppError('INVALID_ARGUMENT', vs[0]!.reason, vs.map((x) => `${x.field}: ${x.description}`).join('; '), vs);
      if (p.identities.some((i) => i.to === null && i.attrs.category === s.attrs.category)) {
        throw failedPrecondition('CATEGORY_ALREADY_HELD', `an identity of ${s.attrs.category} is held; change it instead`);
      }
      if ((s.attrs.category === 'RURAL_VETERAN_60' || s.attrs.category === 'DEMOBILIZED_RURAL') && p.residence !== 'RURAL') {
        throw invalidArgument(`${base}.identity.attributes.category`, `${s.attrs.category} requires a rural household registration`, 'RESIDENCE_MISMATCH');
      }
      if ((s.attrs.category === 'RURAL_VETERAN_60' || s.attrs.category === 'MARTYR_CHILD_60') && s.effectiveDate < anniversary(p.birthDate, 60)) {
        throw invalidArgument(dateField(s), `${s.attrs.category} requires age 60 or more on the effective date`, 'UNDER_AGE');
      }
      return;
    }
    case 'CHANGE_IDENTITY': {
      const i = identity(s.identityId);
      const vs = attributeViolations(s.attrs, `${base}.attributes`);
      if (vs.length) throw new AppError('INVALID_ARGUMENT', vs[0]!.reason, vs.map((x) => `${x.field}: ${x.description}`).join('; '), vs);
      if (s.attrs.category !== i.attrs.category) throw invalidArgument(`${base}.attributes.category`, 'the category of an identity cannot change; end it and add another', 'CATEGORY_CHANGE');
      if (sameAttrs(s.attrs, i.attrs)) throw failedPrecondition('NO_CHANGE', 'the attributes are unchanged');
      if (s.effectiveDate < i.from) throw invalidArgument(dateField(s), `must not be before the identity's effective date ${i.from}`, 'BEFORE_IDENTITY');
      if (s.attrs.grade !== i.attrs.grade && s.effectiveDate < anniversary(i.from, 1)) {
        throw failedPrecondition('REASSESSMENT_TOO_EARLY', `a disability grade may be re-assessed no earlier than one year after the last assessment (${i.from})`);
      }
      return;
    }
    case 'END_IDENTITY': {
      const i = identity(s.identityId);
      if (s.effectiveDate < i.from) throw invalidArgument(dateField(s), `must not be before the identity's effective date ${i.from}`, 'BEFORE_IDENTITY');
      return;
    }
    case 'SUSPEND':
      if (p.status !== 'ACTIVE') throw failedPrecondition('NOT_ACTIVE', `only an active person can be suspended (status ${p.status})`);
      return;
    case 'RESUME':
      if (p.status !== 'SUSPENDED') throw failedPrecondition('NOT_SUSPENDED', `only a suspended person can be resumed (status ${p.status})`);
      return;
    case 'TRANSFER_OUT':
    case 'RECORD_DEATH':
      return;
    case 'CHANGE_PAYEE':
    case 'RECOMPUTE':
      return;
  }
}

/** The person after a change: identities and status events, and where the benefit re-derivation starts. */
export interface Applied {
  identities: IdentitySpan[];
  statusEvents: StatusEvent[];
  status: Status;
  statusDate: CivilDate;
  /** The new identity, if the change created one. */
  newIdentity?: IdentitySpan;
  /** The identity the change ended, if any. */
  endedIdentityId?: string;
  /** First month whose benefit is re-derived; undefined when benefits do not move. */
  deriveFrom?: YearMonth;
}

/** Applies a checked change (pure). `newId` makes ids for created identities. */
export function applyChange(p: PersonState, s: ChangeSpec, newId: () => string): Applied {
  const identities = p.identities.map((i) => ({ ...i }));
  const statusEvents = [...p.statusEvents];
  let status = p.status;
  let statusDate = p.statusDate;
  let newIdentity: IdentitySpan | undefined;
  let endedIdentityId: string | undefined;
  const setStatus = (st: Status, reason: string | null, deathCause: DeathCause | null = null) => {
    statusEvents.push({ status: st, date: s.effectiveDate, reason, deathCause });
    status = st;
    statusDate = s.effectiveDate;
  };
  switch (s.kind) {
    case 'ADD_IDENTITY':
      newIdentity = { id: newId(), attrs: s.attrs, from: s.effectiveDate, to: null };
      identities.push(newIdentity);
      break;
    case 'CHANGE_IDENTITY': {
      const old = identities.find((i) => i.id === s.identityId)!;
      old.to = s.effectiveDate;
      endedIdentityId = old.id;
      newIdentity = { id: newId(), attrs: s.attrs, from: s.effectiveDate, to: null };
      identities.push(newIdentity);
      break;
    }
    case 'END_IDENTITY': {
      const old = identities.find((i) => i.id === s.identityId)!;
      old.to = s.effectiveDate;
      endedIdentityId = old.id;
      break;
    }
    case 'SUSPEND':
      setStatus('SUSPENDED', s.reason);
      break;
    case 'RESUME':
      setStatus('ACTIVE', null);
      break;
    case 'TRANSFER_OUT':
      setStatus('TRANSFERRED_OUT', s.reason);
      break;
    case 'RECORD_DEATH':
      setStatus('DECEASED', null, s.cause);
      break;
    case 'CHANGE_PAYEE':
    case 'RECOMPUTE':
      break;
  }
  return {
    identities,
    statusEvents,
    status,
    statusDate,
    ...(newIdentity ? { newIdentity } : {}),
    ...(endedIdentityId ? { endedIdentityId } : {}),
    ...(movesBenefits(s.kind) ? { deriveFrom: monthOf(s.effectiveDate) } : {}),
  };
}

/** The timeline benefit periods are derived from. */
export const timelineOf = (historyFrom: YearMonth, identities: IdentitySpan[], statusEvents: StatusEvent[]): Timeline => ({
  historyFrom,
  identities,
  active: activeSpans(statusEvents),
});
