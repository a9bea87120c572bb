/**
 * The persons service's registry use cases: proposals and maker–checker decisions (registrations,
 * a person's change, an adjustment's change). Imports are in ./imports, payroll in ./payroll, the
 * annual adjustment's pages in ./adjustment. Domain rules are in ./domain (pure); SQL in ./store;
 * benefit amounts come from an injected BenefitSource.
 */
import { randomUUID } from 'node:crypto';
import { assertNotOwnProposal, effective, type Caller } from '../lib/auth';
import { monthOf, type Clock, type YearMonth } from '../lib/civil';
import { withTx, type Pool, type Queryable } from '../lib/db';
import { aborted, alreadyExists, AppError, failedPrecondition, notFound } from '../lib/errors';
import type { Logger } from '../lib/log';
import { enqueue, enqueueNewAggregates } from '../lib/outbox';
import { maskAccount, maskNationalId, type PiiVault } from '../lib/pii';
import type { BenefitQuery, BenefitSource, QuoteOptions } from './benefit-source';
import {
  derivePeriods,
  diffLines,
  extraBoundaries,
  funeralQuoteKeys,
  funeralSubsidy,
  quoteKey,
  quoteKeysFor,
  type Quote,
  type QuoteKey,
  type Timeline,
} from './domain/benefits';
import { applyChange, checkChange, isStatusChange, timelineOf, type Applied, type ChangeSpec, type PersonState } from './domain/changes';
import { normalizeNationalId } from '../lib/national-id';
import type { Contact, IdentitySpan, Payee, Registration, Residence } from './domain/types';
import {
  PERSONS_TOPIC,
  personChanged,
  personRegistered,
  personStatusChanged,
} from './events';
import { assertPayrollOpen, getApply } from './adjustment';
import { rederiveFrom, recordBenefitChanged } from './rederive';
import * as store from './store';
import { enums, money, toPbDate } from './wire';

export interface ServiceDeps {
  pool: Pool;
  pii: PiiVault;
  clock: Clock;
  benefits: BenefitSource;
  log: Logger;
}

/** Money effects of an applied change (fen). */
export interface Effect {
  personsRegistered: number;
  backPay: bigint;
  overpayment: bigint;
  funeral: bigint;
  lines: number;
}


export const who = (caller: Caller) => {
  const e = effective(caller);
  return { subject: e.subject, role: e.role, via: caller.actor ? caller.subject : null };
};

/** The person's columns a snapshot shows. */
type Snapshotted = Pick<
  store.PersonRow,
  'id' | 'id_masked' | 'gender' | 'district' | 'residence' | 'approval_date' | 'history_from' | 'status' | 'status_date' | 'status_reason' | 'death_cause' | 'payee_bank' | 'payee_account_masked' | 'version'
>;

/** A masked snapshot of a person for the audit trail (no names, no full numbers). */
export function snapshot(p: Snapshotted, identities: readonly (store.IdentityRow | IdentitySpan)[]) {
  return {
    personId: p.id,
    nationalId: p.id_masked,
    gender: p.gender,
    district: p.district,
    residence: p.residence,
    approvalDate: p.approval_date,
    historyFrom: p.history_from,
    status: p.status,
    statusDate: p.status_date,
    statusReason: p.status_reason,
    deathCause: p.death_cause,
    payee: { bank: p.payee_bank, account: p.payee_account_masked },
    identities: identities.map((x) => {
      const i = 'attrs' in x ? x : store.identitySpan(x);
      return { id: i.id, ...i.attrs, from: i.from, to: i.to };
    }),
    version: String(p.version),
  };
}

/** The person's fields a checked change sets: status with its reason and cause of death, the categories held, a new payee. */
function fieldsAfter(row: store.PersonRow, spec: ChangeSpec, applied: Applied) {
  const last = applied.statusEvents.at(-1)!;
  const held = applied.identities.filter((i) => i.to === null).map((i) => i.attrs.category);
  return {
    status: applied.status,
    statusDate: applied.statusDate,
    statusReason: isStatusChange(spec.kind) ? last.reason : row.status_reason,
    deathCause: spec.kind === 'RECORD_DEATH' ? spec.cause : row.death_cause,
    categories: [...new Set(held.length ? held : row.categories)].sort(),
    payee: spec.kind === 'CHANGE_PAYEE' ? spec.payee : spec.kind === 'RECORD_DEATH' ? spec.nextOfKin : undefined,
  };
}

const describeAttrs = (a: IdentitySpan['attrs']) =>
  [a.category, a.grade ? `grade ${a.grade}` : '', a.cause ?? '', a.enlistmentPeriod ?? '', a.serviceYears ? `${a.serviceYears} years` : '', a.mentalDisorder ? 'mental disorder' : '']
    .filter(Boolean)
    .join(' ');

function summarize(s: ChangeSpec, state: PersonState): string {
  const identity = (id: string) => state.identities.find((i) => i.id === id);
  switch (s.kind) {
    case 'ADD_IDENTITY':
      return `add identity ${describeAttrs(s.attrs)} from ${s.effectiveDate}`;
    case 'CHANGE_IDENTITY':
      return `change identity ${s.identityId} from ${describeAttrs(identity(s.identityId)?.attrs ?? s.attrs)} to ${describeAttrs(s.attrs)} from ${s.effectiveDate}`;
    case 'END_IDENTITY':
      return `end identity ${s.identityId} on ${s.effectiveDate}`;
    case 'SUSPEND':
      return `suspend from ${s.effectiveDate}`;
    case 'RESUME':
      return `resume from ${s.effectiveDate}`;
    case 'TRANSFER_OUT':
      return `transfer out on ${s.effectiveDate}`;
    case 'RECORD_DEATH':
      return `death on ${s.effectiveDate} (${s.cause}); funeral subsidy to the next of kin`;
    case 'CHANGE_PAYEE':
      return `new payee account at ${s.payee.bank}`;
    case 'RECOMPUTE':
      return `recompute benefit from ${s.effectiveDate}`;
  }
}

/** Loaded person: row, identities, status history and the domain view. */
export interface LoadedPerson {
  row: store.PersonRow;
  identities: store.IdentityRow[];
  events: import('./domain/types').StatusEvent[];
  state: PersonState;
}


/** A standards version was recorded between a change's quotes and its transaction (approvePersonChange retries). */
class StandardsMoved extends Error {}

export class PersonsService {
  constructor(private readonly d: ServiceDeps) {}

  now = () => this.d.clock.now();
  today = () => this.d.clock.today();
  todayMonth = () => monthOf(this.d.clock.today());

  // ---------- loading ----------

  async load(q: Queryable, personId: string, lock = false): Promise<LoadedPerson> {
    const row = await store.getPerson(q, personId, lock);
    if (!row) throw notFound(`person ${personId}`);
    const identities = (await store.identitiesOf(q, [personId])).get(personId) ?? [];
    const events = await store.statusEventsOf(q, personId);
    return {
      row,
      identities,
      events,
      state: {
        id: row.id,
        birthDate: row.birth_date,
        residence: row.residence as Residence,
        approvalDate: row.approval_date,
        historyFrom: row.history_from,
        status: row.status,
        statusDate: row.status_date,
        identities: identities.map(store.identitySpan),
        statusEvents: events,
      },
    };
  }

  // ---------- PII ----------

  /** A registration staged with its PII encrypted and its ID number hashed. */
  stage(reg: Registration, changeId: string, rowNo: number): store.StagedPerson {
    const { pii } = this.d;
    const id = normalizeNationalId(reg.nationalId);
    return {
      change_id: changeId,
      row_no: rowNo,
      person_id: randomUUID(),
      id_hash: pii.hash(id),
      id_enc: pii.encrypt(id),
      id_masked: maskNationalId(id),
      name_enc: pii.encrypt(reg.name),
      gender: reg.gender,
      birth_date: reg.birthDate,
      district: reg.district,
      residence: reg.residence,
      contact_enc: pii.encrypt(JSON.stringify(reg.contact)),
      approval_date: reg.approvalDate,
      history_from: reg.historyFrom,
      payee_bank: reg.payee.bank,
      payee_account_enc: pii.encrypt(reg.payee.accountNumber),
      payee_account_masked: maskAccount(reg.payee.accountNumber),
      payee_name_enc: pii.encrypt(reg.payee.accountName),
      identities: reg.identities.map((i) => ({ id: randomUUID(), attrs: i.attrs, from: i.from })),
    };
  }

  hashId = (nationalId: string) => this.d.pii.hash(normalizeNationalId(nationalId));

  private encPayee(p: Payee) {
    return { bank: p.bank, accountEnc: this.d.pii.encrypt(p.accountNumber), accountMasked: maskAccount(p.accountNumber), nameEnc: this.d.pii.encrypt(p.accountName) };
  }

  // ---------- proposals ----------

  /** Proposes one registration (already validated). Duplicate ID → ALREADY_EXISTS. */
  /** Proposes a registration; with an `origin` already known, answers its change request instead. */
  async proposeRegistration(reg: Registration, caller: Caller, origin = ''): Promise<store.ChangeRow> {
    if (origin) {
      const known = await store.changeByOrigin(this.d.pool, origin);
      if (known) return known;
    }
    try {
      return await this.proposeNewRegistration(reg, caller, origin);
    } catch (err) {
      // The same origin proposed at the same moment: the other call's change request is the one.
      const known = origin && (err as { constraint?: string }).constraint === 'change_requests_origin_key' ? await store.changeByOrigin(this.d.pool, origin) : undefined;
      if (known) return known;
      throw err;
    }
  }

  private async proposeNewRegistration(reg: Registration, caller: Caller, origin: string): Promise<store.ChangeRow> {
    const me = who(caller);
    const changeId = randomUUID();
    const staged = this.stage({ ...reg, historyFrom: monthOf(reg.approvalDate) }, changeId, 1);
    return withTx(this.d.pool, async (tx) => {
      const change = await store.insertChange(tx, {
        id: changeId,
        kind: 'REGISTRATION',
        status: 'PROPOSED',
        personId: staged.person_id,
        idMasked: staged.id_masked,
        baseVersion: 0n,
        effectiveDate: reg.approvalDate,
        summary: `register ${reg.identities.map((i) => describeAttrs(i.attrs)).join(' + ')} in ${reg.district} from ${reg.approvalDate}`,
        payloadEnc: null,
        proposedBy: me.subject,
        proposedVia: me.via,
        ...(origin ? { origin } : {}),
      });
      const inserted = await store.stagePersons(tx, [staged]);
      if (!inserted.size) {
        const held = (await store.claims(tx, [staged.id_hash])).get(staged.id_hash);
        throw held?.status === 'APPROVED'
          ? alreadyExists('a person with this national ID number', 'DUPLICATE_PERSON')
          : alreadyExists('a pending registration with this national ID number', 'DUPLICATE_PENDING');
      }
      return change;
    });
  }

  /** Proposes a change to a person; checks version and rules now (and again on approval). */
  async proposeChange(personId: string, expectedVersion: bigint, spec: ChangeSpec, caller: Caller): Promise<store.ChangeRow> {
    const me = who(caller);
    const p = await this.load(this.d.pool, personId);
    if (p.row.version !== expectedVersion) throw aborted('STALE_VERSION', `the person is at version ${p.row.version}, not ${expectedVersion}`);
    checkChange(p.state, spec, this.today());
    return store.insertChange(this.d.pool, {
      id: randomUUID(),
      kind: spec.kind,
      status: 'PROPOSED',
      personId,
      idMasked: p.row.id_masked,
      baseVersion: expectedVersion,
      effectiveDate: spec.effectiveDate,
      summary: summarize(spec, p.state),
      payloadEnc: this.d.pii.encrypt(JSON.stringify(spec)),
      proposedBy: me.subject,
      proposedVia: me.via,
    });
  }

  /** Updates contact details directly (no money moves): version-checked, audited, PersonChanged. */
  async updateContact(personId: string, expectedVersion: bigint, contact: Contact, caller: Caller): Promise<store.PersonRow> {
    const me = who(caller);
    return withTx(this.d.pool, async (tx) => {
      const p = await this.load(tx, personId, true);
      if (p.row.version !== expectedVersion) throw aborted('STALE_VERSION', `the person is at version ${p.row.version}, not ${expectedVersion}`);
      const after = await store.updatePerson(tx, personId, {
        status: p.row.status,
        statusDate: p.row.status_date,
        statusReason: p.row.status_reason,
        deathCause: p.row.death_cause,
        categories: p.row.categories,
        contactEnc: this.d.pii.encrypt(JSON.stringify(contact)),
      });
      await store.insertAudit(tx, [
        {
          personId,
          changeId: null,
          action: 'UPDATE_CONTACT',
          actor: me.subject,
          actorRole: me.role,
          via: me.via,
          proposedBy: null,
          before: { ...snapshot(p.row, p.identities), contact: 'previous (encrypted at rest)' },
          after: { ...snapshot(after, p.identities), contact: { phone: contact.phone ? maskAccount(contact.phone) : '', address: contact.address ? '(set)' : '' } },
        },
      ]);
      await enqueue(tx, {
        topic: PERSONS_TOPIC,
        aggregateId: personId,
        type: personChanged,
        data: { personId, nationalIdMasked: after.id_masked, kind: 0, changeId: '', effectiveDate: toPbDate(this.today()), version: after.version },
      });
      return after;
    });
  }

  // ---------- decisions ----------

  private async decidable(changeId: string, caller: Caller): Promise<store.ChangeRow> {
    const c = await store.getChange(this.d.pool, changeId);
    if (!c) throw notFound(`change ${changeId}`);
    assertNotOwnProposal(caller, c.proposed_by);
    return c;
  }

  static assertPending(c: store.ChangeRow, allowOpen = false): void {
    if (c.status === 'PROPOSED' || (allowOpen && c.status === 'OPEN')) return;
    if (c.status === 'OPEN') throw failedPrecondition('IMPORT_INCOMPLETE', 'the import has not finished streaming; resume it with its idempotency key');
    throw failedPrecondition('ALREADY_DECIDED', `the change is already ${c.status.toLowerCase()}`);
  }

  async reject(changeId: string, reason: string, caller: Caller): Promise<store.ChangeRow> {
    const me = who(caller);
    await this.decidable(changeId, caller);
    return withTx(this.d.pool, async (tx) => {
      const c = (await store.getChange(tx, changeId, true))!;
      PersonsService.assertPending(c, true);
      await store.releaseStaged(tx, changeId);
      return store.decideChange(tx, changeId, 'REJECTED', me.subject, me.via, reason);
    });
  }

  async approve(changeId: string, note: string | null, caller: Caller): Promise<{ change: store.ChangeRow; person?: store.PersonRow; effect: Effect }> {
    const c = await this.decidable(changeId, caller);
    PersonsService.assertPending(c);
    if (c.kind === 'REGISTRATION' || c.kind === 'IMPORT') return this.approveRegistrations(c, note, caller);
    if (c.kind === 'STANDARDS_ADJUSTMENT') return this.approveAdjustment(c, note, caller);
    return this.approvePersonChange(c, note, caller);
  }

  /** Fetches quotes for keys of several timelines (one batch for all); with a candidate standards version for a simulation. */
  async quotes(items: readonly { t: Timeline; district: string; keys: QuoteKey[] }[], o: QuoteOptions = {}): Promise<Map<string, Quote>[]> {
    const queries: BenefitQuery[] = [];
    for (const it of items) {
      const byId = new Map(it.t.identities.map((i) => [i.id, i]));
      for (const k of it.keys) queries.push({ attrs: byId.get(k.identityId)!.attrs, district: it.district, month: k.month });
    }
    const answers = queries.length ? await this.d.benefits.quote(queries, o) : [];
    let n = 0;
    return items.map((it) => {
      const m = new Map<string, Quote>();
      for (const k of it.keys) m.set(quoteKey(k.identityId, k.month), answers[n++]!);
      return m;
    });
  }

  private async approveRegistrations(c: store.ChangeRow, note: string | null, caller: Caller) {
    const me = who(caller);
    const staged = await store.loadStaged(this.d.pool, c.id);
    const todayMonth = this.todayMonth();
    const versions = await store.versionMonths(this.d.pool);
    const plans = staged.map((s) => {
      const historyFrom = s.history_from ?? todayMonth;
      const t = timelineOf(
        historyFrom,
        s.identities.map((i) => ({ id: i.id, attrs: i.attrs, from: i.from, to: null })),
        [{ status: 'ACTIVE', date: s.approval_date, reason: null, deathCause: null }],
      );
      const extra = extraBoundaries(versions, historyFrom, todayMonth);
      return { s, t, extra, district: s.district, keys: quoteKeysFor(t, historyFrom, extra) };
    });
    const quotes = await this.quotes(plans);
    const periods = plans.flatMap((p, n) =>
      derivePeriods(p.t, p.t.historyFrom, p.extra, quotes[n]!).map((d) => ({ ...d, id: randomUUID(), personId: p.s.person_id, changeId: c.id })),
    );
    return withTx(this.d.pool, async (tx) => {
      await store.lockPayrollShared(tx);
      const locked = (await store.getChange(tx, c.id, true))!;
      PersonsService.assertPending(locked);
      await store.registerStaged(tx, c.id, new Map(plans.map((p) => [p.s.person_id, p.t.historyFrom])));
      await store.insertPeriods(tx, periods);
      // A person registered after payrolls already closed some of their months gets back pay.
      const minHistory = plans.reduce<YearMonth | undefined>((m, p) => (m === undefined || p.t.historyFrom < m ? p.t.historyFrom : m), undefined);
      const closed = minHistory ? await store.closedMonths(tx, minHistory) : [];
      const adjustments: store.NewAdjustment[] = [];
      if (closed.length) {
        const byPerson = new Map<string, typeof periods>();
        for (const p of periods) byPerson.set(p.personId, [...(byPerson.get(p.personId) ?? []), p]);
        for (const p of plans) {
          const mine = byPerson.get(p.s.person_id) ?? [];
          for (const l of diffLines(mine, p.t.historyFrom, p.t.historyFrom, closed, new Map())) {
            adjustments.push({ id: randomUUID(), personId: p.s.person_id, benefit: l.benefit, month: l.month, source: c.id, kind: l.amountFen > 0n ? 'BACK_PAY' : 'OVERPAYMENT', amountFen: l.amountFen, category: mine[0]?.category ?? null });
          }
        }
        await store.insertAdjustments(tx, adjustments);
      }
      const rows = await tx.query<store.PersonRow>('SELECT * FROM persons WHERE registered_by = $1', [c.id]);
      const byId = new Map(plans.map((p) => [p.s.person_id, p]));
      await store.insertAudit(
        tx,
        rows.rows.map((r) => ({
          personId: r.id,
          changeId: c.id,
          action: c.kind,
          actor: me.subject,
          actorRole: me.role,
          via: me.via,
          proposedBy: c.proposed_by,
          before: null,
          after: snapshot(r, byId.get(r.id)!.t.identities),
        })),
      );
      const firstMonthly = new Map<string, bigint>();
      for (const p of periods) if (p.from === byId.get(p.personId)!.t.historyFrom) firstMonthly.set(p.personId, (firstMonthly.get(p.personId) ?? 0n) + p.monthlyFen);
      await enqueueNewAggregates(
        tx,
        PERSONS_TOPIC,
        personRegistered,
        rows.rows.map((r) => ({
          aggregateId: r.id,
          data: {
            personId: r.id,
            nationalIdMasked: r.id_masked,
            districtCode: r.district,
            residence: enums.residence.toNumber(r.residence as 'URBAN' | 'RURAL'),
            categories: r.categories.map((x) => enums.category.toNumber(x as never)),
            approvalDate: toPbDate(r.approval_date),
            changeId: c.id,
            version: r.version,
            monthlyBenefit: money(firstMonthly.get(r.id) ?? 0n),
            origin: c.origin ?? '',
          },
        })),
      );
      const change = await store.decideChange(tx, c.id, 'APPROVED', me.subject, me.via, note);
      const person = c.kind === 'REGISTRATION' ? rows.rows[0] : undefined;
      const backPay = adjustments.reduce((s, a) => s + (a.amountFen > 0n ? a.amountFen : 0n), 0n);
      const overpayment = adjustments.reduce((s, a) => s + (a.amountFen < 0n ? a.amountFen : 0n), 0n);
      return { change, ...(person ? { person } : {}), effect: { personsRegistered: rows.rows.length, backPay, overpayment, funeral: 0n, lines: adjustments.length } };
    });
  }

  /**
   * An annual adjustment's change (ApproveAdjustment forwards the approver's own token): from now
   * until its apply completes, payroll P waits (the gate in runPayroll). Refused once P has run.
   */
  private async approveAdjustment(c: store.ChangeRow, note: string | null, caller: Caller) {
    const me = who(caller);
    return withTx(this.d.pool, async (tx) => {
      await store.lockPayrollShared(tx);
      PersonsService.assertPending((await store.getChange(tx, c.id, true))!);
      await assertPayrollOpen(tx, (await getApply(tx, c.id)).payroll_month);
      const change = await store.decideChange(tx, c.id, 'APPROVED', me.subject, me.via, note);
      return { change, effect: { personsRegistered: 0, backPay: 0n, overpayment: 0n, funeral: 0n, lines: 0 } };
    });
  }

  /**
   * A person's change, derived with the standards versions known when its quotes were read; when an
   * adjustment's apply recorded a version in the meantime (its month splits the periods), the
   * derivation is read again, so the change never writes periods that miss a version the apply
   * already reached this person with.
   */
  private async approvePersonChange(c: store.ChangeRow, note: string | null, caller: Caller) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.approvePersonChangeOnce(c, note, caller);
      } catch (err) {
        if (!(err instanceof StandardsMoved) || attempt >= 3) throw err instanceof StandardsMoved ? aborted('STANDARDS_CHANGED', 'standards versions changed while approving; approve again') : err;
      }
    }
  }

  /** What approval checks before applying a person's change: proposed against this version, and still allowed today. */
  private static assertApplicable(before: LoadedPerson, c: store.ChangeRow, spec: ChangeSpec, today: string) {
    if (before.row.version !== c.base_version) {
      throw aborted('STALE_VERSION', `the person changed since the proposal (version ${before.row.version}, proposed against ${c.base_version}); propose again`);
    }
    checkChange(before.state, spec, today);
  }

  /**
   * A change as the approver decides it: the person before and after, as the audit trail's masked
   * snapshots. Pending: the change checked and applied in memory to the person as they stand now
   * (`problem` says why approval would refuse it); approved: what its approval recorded.
   */
  async preview(c: store.ChangeRow): Promise<{ before?: unknown; after?: unknown; problem?: string }> {
    if (c.status === 'APPROVED' && c.person_id) {
      const a = await store.auditOfChange(this.d.pool, c.person_id, c.id);
      return a ? { before: a.before ?? undefined, after: a.after } : {};
    }
    if (c.status !== 'PROPOSED') return {};
    if (c.kind === 'REGISTRATION') {
      const [s] = await store.loadStaged(this.d.pool, c.id);
      if (!s) return {};
      const row = { ...s, id: s.person_id, history_from: s.history_from ?? this.todayMonth(), status: 'ACTIVE' as const, status_date: s.approval_date, status_reason: null, death_cause: null, version: 1n };
      return { after: snapshot(row, s.identities.map((i) => ({ id: i.id, attrs: i.attrs, from: i.from, to: null }))) };
    }
    if (!c.payload_enc || !c.person_id) return {};
    const spec = JSON.parse(this.d.pii.decrypt(c.payload_enc)) as ChangeSpec;
    const before = await this.load(this.d.pool, c.person_id);
    const shown = snapshot(before.row, before.identities);
    try {
      PersonsService.assertApplicable(before, c, spec, this.today());
    } catch (err) {
      if (err instanceof AppError) return { before: shown, problem: err.message };
      throw err;
    }
    const applied = applyChange(before.state, spec, () => '(new)');
    const { payee, ...f } = fieldsAfter(before.row, spec, applied);
    const row = {
      ...before.row,
      status: f.status,
      status_date: f.statusDate,
      status_reason: f.statusReason,
      death_cause: f.deathCause,
      ...(payee ? { payee_bank: payee.bank, payee_account_masked: maskAccount(payee.accountNumber) } : {}),
      version: before.row.version + 1n,
    };
    return { before: shown, after: { ...snapshot(row, applied.identities), effectiveDate: spec.effectiveDate } };
  }

  private async approvePersonChangeOnce(c: store.ChangeRow, note: string | null, caller: Caller) {
    const me = who(caller);
    const spec = JSON.parse(this.d.pii.decrypt(c.payload_enc!)) as ChangeSpec;
    const personId = c.person_id!;
    const before = await this.load(this.d.pool, personId);
    const today = this.today();
    PersonsService.assertApplicable(before, c, spec, today);
    const applied = applyChange(before.state, spec, randomUUID);
    const from = applied.deriveFrom;
    const timeline = timelineOf(before.state.historyFrom, applied.identities, applied.statusEvents);
    let quotes = new Map<string, Quote>();
    let extra: YearMonth[] = [];
    const stamp = await store.versionsStamp(this.d.pool);
    if (from) {
      extra = extraBoundaries(await store.versionMonths(this.d.pool), from, this.todayMonth());
      const keys = quoteKeysFor(timeline, from, extra);
      if (spec.kind === 'RECORD_DEATH') keys.push(...funeralQuoteKeys(timeline, monthOf(spec.effectiveDate)));
      [quotes] = await this.quotes([{ t: timeline, district: before.row.district, keys }]) as [Map<string, Quote>];
    }

    return withTx(this.d.pool, async (tx) => {
      await store.lockPayrollShared(tx);
      const locked = (await store.getChange(tx, c.id, true))!;
      PersonsService.assertPending(locked);
      const current = (await store.getPerson(tx, personId, true))!;
      if (current.version !== c.base_version) throw aborted('STALE_VERSION', 'the person changed since the proposal; propose again');
      if (from && (await store.versionsStamp(tx)) !== stamp) throw new StandardsMoved();

      if (applied.endedIdentityId) await store.endIdentity(tx, applied.endedIdentityId, spec.effectiveDate, c.id);
      if (applied.newIdentity) await store.insertIdentity(tx, personId, applied.newIdentity, c.id);
      if (isStatusChange(spec.kind)) await store.insertStatusEvent(tx, personId, applied.statusEvents.at(-1)!, c.id);
      const last = applied.statusEvents.at(-1)!;
      const { payee, ...fields } = fieldsAfter(before.row, spec, applied);
      const after = await store.updatePerson(tx, personId, { ...fields, ...(payee ? { payee: this.encPayee(payee) } : {}) });

      const effect: Effect = { personsRegistered: 0, backPay: 0n, overpayment: 0n, funeral: 0n, lines: 0 };
      const adjustments: store.NewAdjustment[] = [];
      if (from) {
        const fallbackCategory = applied.identities[0]?.attrs.category ?? null;
        const r = await rederiveFrom(tx, { personId, from, timeline, extra, quotes, source: c.id, fallbackCategory });
        adjustments.push(...r.adjustments);
        if (spec.kind === 'RECORD_DEATH') {
          const f = funeralSubsidy(timeline, monthOf(spec.effectiveDate), spec.cause, quotes);
          if (f && f.fen > 0n) {
            adjustments.push({ id: randomUUID(), personId, benefit: 'FUNERAL_SUBSIDY', month: monthOf(spec.effectiveDate), source: c.id, kind: 'ONE_OFF', amountFen: f.fen, category: f.category });
            effect.funeral = f.fen;
          } else this.d.log.warn({ personId, changeId: c.id }, 'funeral subsidy could not be computed (no benefit for the month of death)');
        }
        await store.insertAdjustments(tx, adjustments);
        for (const a of adjustments) {
          if (a.kind === 'BACK_PAY') effect.backPay += a.amountFen;
          if (a.kind === 'OVERPAYMENT') effect.overpayment += a.amountFen;
        }
        effect.lines = adjustments.length;
        await recordBenefitChanged(tx, { personId, masked: after.id_masked, source: c.id, eventSource: `change:${c.id}`, from, periods: r.periods, backPay: effect.backPay, overpayment: effect.overpayment, funeral: effect.funeral });
      }

      const identitiesAfter = (await store.identitiesOf(tx, [personId])).get(personId) ?? [];
      await store.insertAudit(tx, [
        {
          personId,
          changeId: c.id,
          action: spec.kind,
          actor: me.subject,
          actorRole: me.role,
          via: me.via,
          proposedBy: c.proposed_by,
          before: snapshot(before.row, before.identities),
          after: { ...snapshot(after, identitiesAfter), effectiveDate: spec.effectiveDate, adjustments: adjustments.map((a) => ({ benefit: a.benefit, month: a.month, kind: a.kind, fen: String(a.amountFen) })) },
        },
      ]);
      if (isStatusChange(spec.kind)) {
        await enqueue(tx, {
          topic: PERSONS_TOPIC,
          aggregateId: personId,
          type: personStatusChanged,
          data: {
            personId,
            nationalIdMasked: after.id_masked,
            previousStatus: enums.status.toNumber(before.row.status),
            status: enums.status.toNumber(after.status),
            effectiveDate: toPbDate(spec.effectiveDate),
            reason: last.reason ?? '',
            deathCause: enums.deathCause.toNumber(last.deathCause),
            changeId: c.id,
            version: after.version,
          },
        });
      } else {
        await enqueue(tx, {
          topic: PERSONS_TOPIC,
          aggregateId: personId,
          type: personChanged,
          data: { personId, nationalIdMasked: after.id_masked, kind: enums.changeKind.toNumber(spec.kind), changeId: c.id, effectiveDate: toPbDate(spec.effectiveDate), version: after.version },
        });
      }
      const change = await store.decideChange(tx, c.id, 'APPROVED', me.subject, me.via, note);
      return { change, person: after, effect };
    });
  }

}
