/**
 * The persons service's use cases: proposals, maker–checker decisions, imports, payroll. Domain
 * rules are in ./domain (pure); SQL in ./store; benefit amounts come from an injected BenefitSource.
 */
import { randomUUID } from 'node:crypto';
import { assertNotOwnProposal, effective, type Caller } from '../lib/auth';
import { addMonths, monthOf, type Clock, type YearMonth } from '../lib/civil';
import { withTx, type Pool, type Queryable } from '../lib/db';
import { aborted, alreadyExists, failedPrecondition, notFound } from '../lib/errors';
import type { Logger } from '../lib/log';
import { enqueue, enqueueNewAggregates } from '../lib/outbox';
import { maskNationalId, type PiiVault } from '../lib/pii';
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
import { applyChange, checkChange, isStatusChange, timelineOf, type ChangeSpec, type PersonState } from './domain/changes';
import { normalizeNationalId } from '../lib/national-id';
import type { Contact, IdentitySpan, Payee, Registration, Residence, Status } from './domain/types';
import {
  PERSONS_TOPIC,
  personChanged,
  personRegistered,
  personStatusChanged,
} from './events';
import { assertNoApplyInProgress, assertPayrollOpen, getApply } from './adjustment';
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

export const maskAccount = (n: string) => (n.length <= 4 ? '*'.repeat(n.length) : `${'*'.repeat(n.length - 4)}${n.slice(-4)}`);

const who = (caller: Caller) => {
  const e = effective(caller);
  return { subject: e.subject, role: e.role, via: caller.actor ? caller.subject : null };
};

/** A masked snapshot of a person for the audit trail (no names, no full numbers). */
export function snapshot(p: store.PersonRow, identities: readonly (store.IdentityRow | IdentitySpan)[]) {
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

/** One import record after parsing: a registration, or why it is rejected. */
export type ImportItem =
  | { row: number; ok: true; reg: Registration }
  | { row: number; ok: false; reason: string; field: string; message: string };

/** An import in progress (its change request exists once a record was accepted). */
export interface ImportRef {
  id: string;
  key: string;
  summary: string;
  proposedBy: string;
  proposedVia: string | null;
}

export interface ImportResult {
  row: number;
  accepted: boolean;
  alreadyImported: boolean;
  reason: string;
  field: string;
  message: string;
}

/** Stored result of a payroll run (amounts as decimal strings). */
export interface PayrollResult {
  month: YearMonth;
  runBy: string;
  runAt: string;
  total: string;
  regular: string;
  backPay: string;
  recovered: string;
  oneOff: string;
  lines: number;
  personsPaid: number;
  byCategory: { key: string | null; amount: string; lines: number; persons: number }[];
  byDistrict: { key: string; amount: string; lines: number; persons: number }[];
  skipped: { personId: string; status: Status; reason: string }[];
  skippedCount: number;
  exceptions: { personId: string; benefit: string; missing: string[] }[];
  exceptionCount: number;
}

const LIST_CAP = 1000;

/** A standards version was recorded between a change's quotes and its transaction (approvePersonChange retries). */
class StandardsMoved extends Error {}

export class PersonsService {
  constructor(private readonly d: ServiceDeps) {}

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
  async proposeRegistration(reg: Registration, caller: Caller): Promise<store.ChangeRow> {
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

  private static assertPending(c: store.ChangeRow, allowOpen = false): void {
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

  private async approvePersonChangeOnce(c: store.ChangeRow, note: string | null, caller: Caller) {
    const me = who(caller);
    const spec = JSON.parse(this.d.pii.decrypt(c.payload_enc!)) as ChangeSpec;
    const personId = c.person_id!;
    const before = await this.load(this.d.pool, personId);
    if (before.row.version !== c.base_version) {
      throw aborted('STALE_VERSION', `the person changed since the proposal (version ${before.row.version}, proposed against ${c.base_version}); propose again`);
    }
    const today = this.today();
    checkChange(before.state, spec, today);
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
      const payee = spec.kind === 'CHANGE_PAYEE' ? spec.payee : spec.kind === 'RECORD_DEATH' ? spec.nextOfKin : undefined;
      const held = applied.identities.filter((i) => i.to === null).map((i) => i.attrs.category);
      const after = await store.updatePerson(tx, personId, {
        status: applied.status,
        statusDate: applied.statusDate,
        statusReason: isStatusChange(spec.kind) ? last.reason : before.row.status_reason,
        deathCause: spec.kind === 'RECORD_DEATH' ? spec.cause : before.row.death_cause,
        categories: [...new Set(held.length ? held : before.row.categories)].sort(),
        ...(payee ? { payee: this.encPayee(payee) } : {}),
      });

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

  // ---------- imports ----------

  /**
   * Finds the import of an idempotency key, or prepares a new one (written only once a record is
   * accepted). Another clerk's key → FAILED_PRECONDITION.
   */
  async openImport(key: string, description: string, caller: Caller): Promise<ImportRef> {
    const me = who(caller);
    const existing = await store.getImportChange(this.d.pool, key);
    if (existing && existing.proposed_by !== me.subject) throw failedPrecondition('IMPORT_KEY_IN_USE', 'this idempotency key belongs to another clerk’s import');
    return {
      id: existing?.id ?? randomUUID(),
      key,
      summary: existing?.summary ?? `import ${key}${description ? `: ${description}` : ''}`.slice(0, 500),
      proposedBy: me.subject,
      proposedVia: me.via,
    };
  }

  /**
   * Stages a batch of parsed records into an import, each on its own (a record is one row: never
   * half-written). Answers per record, in order.
   */
  async importBatch(ref: ImportRef, items: readonly ImportItem[]): Promise<ImportResult[]> {
    const results: ImportResult[] = new Array<ImportResult>(items.length);
    const ok = (row: number, alreadyImported = false): ImportResult => ({ row, accepted: true, alreadyImported, reason: '', field: '', message: '' });
    const no = (row: number, reason: string, message: string, field = ''): ImportResult => ({ row, accepted: false, alreadyImported: false, reason, field, message });
    const candidates: { n: number; item: Extract<ImportItem, { ok: true }>; staged: store.StagedPerson }[] = [];
    const seenHash = new Map<string, number>();
    const seenRow = new Set<number>();
    items.forEach((it, n) => {
      if (!it.ok) {
        results[n] = no(it.row, it.reason, it.message, it.field);
        return;
      }
      if (seenRow.has(it.row)) {
        results[n] = no(it.row, 'DUPLICATE_ROW', 'this row number was already sent', 'row');
        return;
      }
      seenRow.add(it.row);
      const staged = this.stage(it.reg, ref.id, it.row);
      const twin = seenHash.get(staged.id_hash);
      if (twin !== undefined) {
        results[n] = no(it.row, 'DUPLICATE_IN_IMPORT', `the same national ID number is in row ${twin}`, 'person.nationalId');
        return;
      }
      seenHash.set(staged.id_hash, it.row);
      candidates.push({ n, item: it, staged });
    });
    if (candidates.length) {
      await withTx(this.d.pool, async (tx) => {
        let c = await store.getChange(tx, ref.id, true);
        let created = false;
        if (!c) {
          const r = await tx.query<store.ChangeRow>(
            `INSERT INTO change_requests (id, kind, status, base_version, effective_date, summary, proposed_by, proposed_via, import_key)
             VALUES ($1, 'IMPORT', 'OPEN', 0, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING *`,
            [ref.id, this.today(), ref.summary, ref.proposedBy, ref.proposedVia, ref.key],
          );
          if (!r.rows[0]) throw failedPrecondition('IMPORT_KEY_IN_USE', 'another stream is importing with this idempotency key');
          c = r.rows[0];
          created = true;
        }
        const open = c.status === 'OPEN';
        const inserted = open ? await store.stagePersons(tx, candidates.map((x) => x.staged)) : new Set<number>();
        const rest = candidates.filter((x) => !inserted.has(x.item.row));
        const held = await store.claims(tx, rest.map((x) => x.staged.id_hash));
        const rowsTaken = await store.stagedRows(tx, ref.id, rest.map((x) => x.item.row));
        for (const { n, item, staged } of candidates) {
          const set = (r: ImportResult) => (results[n] = r);
          if (inserted.has(item.row)) {
            set(ok(item.row));
            continue;
          }
          const h = held.get(staged.id_hash);
          if (h?.changeId === ref.id && h.rowNo === item.row) set(ok(item.row, true));
          else if (h?.changeId === ref.id) set(no(item.row, 'DUPLICATE_IN_IMPORT', `the same national ID number is in row ${h.rowNo}`, 'person.nationalId'));
          else if (h) {
            set(
              h.status === 'APPROVED'
                ? no(item.row, 'DUPLICATE_PERSON', 'a person with this national ID number is already registered', 'person.nationalId')
                : no(item.row, 'DUPLICATE_PENDING', 'a pending registration or import already holds this national ID number', 'person.nationalId'),
            );
          } else if (!open) set(no(item.row, 'IMPORT_CLOSED', `the import is ${c.status.toLowerCase()}; start a new one with another key`));
          else if (rowsTaken.has(item.row)) set(no(item.row, 'DUPLICATE_ROW', 'this row number holds another person in this import', 'row'));
          else set(no(item.row, 'DUPLICATE_PENDING', 'the national ID number was claimed concurrently', 'person.nationalId'));
        }
        if (inserted.size) await tx.query('UPDATE change_requests SET record_count = record_count + $2 WHERE id = $1', [ref.id, inserted.size]);
        else if (created) await tx.query('DELETE FROM change_requests WHERE id = $1', [ref.id]); // nothing accepted: leave no trace
      });
    }
    return results;
  }

  /**
   * Ends an import stream. `complete`: the file ended properly, so an OPEN import becomes PROPOSED
   * (ready for one approval); otherwise it stays OPEN. Undefined when nothing was ever accepted.
   */
  async closeImport(ref: ImportRef, complete: boolean): Promise<store.ChangeRow | undefined> {
    return withTx(this.d.pool, async (tx) => {
      const c = await store.getChange(tx, ref.id, true);
      if (!c || c.status !== 'OPEN' || !complete) return c;
      const r = await tx.query<store.ChangeRow>(
        "UPDATE change_requests SET status = 'PROPOSED', record_count = (SELECT count(*) FROM staged_persons WHERE change_id = $1) WHERE id = $1 RETURNING *",
        [ref.id],
      );
      return r.rows[0]!;
    });
  }

  // ---------- payroll ----------

  async payroll(month: YearMonth): Promise<PayrollResult | undefined> {
    const r = await this.d.pool.query<{ result: PayrollResult }>('SELECT result FROM payroll_runs WHERE month = $1', [month]);
    return r.rows[0]?.result;
  }

  /**
   * Runs the payroll of `month` once: a REGULAR line per current benefit period covering the month,
   * the pending back-pay and one-off lines, and recoveries of outstanding overpayments up to what
   * the person is paid in this run. Running it again returns the stored result.
   */
  async runPayroll(month: YearMonth, caller: Caller): Promise<{ result: PayrollResult; alreadyRun: boolean }> {
    if (month > this.todayMonth()) throw failedPrecondition('MONTH_IN_FUTURE', `the payroll of ${month} cannot run before that month`);
    const done = await this.payroll(month);
    if (done) return { result: done, alreadyRun: true };
    const me = who(caller);
    return withTx(this.d.pool, async (tx) => {
      await store.lockPayrollExclusive(tx);
      const again = await tx.query<{ result: PayrollResult }>('SELECT result FROM payroll_runs WHERE month = $1', [month]);
      if (again.rows[0]) return { result: again.rows[0].result, alreadyRun: true };
      await assertNoApplyInProgress(tx, month);
      await tx.query("INSERT INTO payroll_runs (month, run_by, run_via, result) VALUES ($1, $2, $3, '{}')", [month, me.subject, me.via]);
      const payee = 'p.district, p.payee_bank, p.payee_account_enc, p.payee_account_masked, p.payee_name_enc';
      const cols = 'run_month, person_id, benefit, kind, for_month, amount_fen, adjustment_id, category, district, payee_bank, payee_account_enc, payee_account_masked, payee_name_enc';
      await tx.query(
        `INSERT INTO payroll_lines (${cols})
         SELECT $1, bp.person_id, bp.benefit, 'REGULAR', $1, bp.monthly_fen, NULL, bp.category, ${payee}
           FROM benefit_periods bp JOIN persons p ON p.id = bp.person_id
          WHERE bp.superseded_by IS NULL AND bp.from_month <= $1 AND (bp.to_month IS NULL OR bp.to_month >= $1)
            AND bp.monthly_fen > 0 AND p.history_from <= $1
          ORDER BY bp.person_id, bp.benefit
         ON CONFLICT DO NOTHING`,
        [month],
      );
      // Pending back pay and one-off payments (held while a person is suspended).
      await tx.query(
        `INSERT INTO payroll_lines (${cols})
         SELECT $1, a.person_id, a.benefit, CASE WHEN a.kind = 'ONE_OFF' THEN 'ONE_OFF' ELSE 'BACK_PAY' END, a.month, a.amount_fen, a.id, a.category, ${payee}
           FROM adjustment_lines a JOIN persons p ON p.id = a.person_id
          WHERE a.amount_fen > 0 AND p.status <> 'SUSPENDED'
            AND NOT EXISTS (SELECT 1 FROM payroll_lines l WHERE l.adjustment_id = a.id AND l.kind IN ('BACK_PAY', 'ONE_OFF'))
          ORDER BY a.person_id, a.seq`,
        [month],
      );
      // Overpayments: offset, oldest first, up to what each person is paid in this run.
      await tx.query(
        `WITH gross AS (
           SELECT person_id, sum(amount_fen) AS g FROM payroll_lines WHERE run_month = $1 AND amount_fen > 0 GROUP BY person_id
         ), od AS (
           SELECT a.id, a.seq, a.person_id, a.benefit, a.month, a.category,
                  -a.amount_fen + COALESCE((SELECT sum(r.amount_fen) FROM payroll_lines r WHERE r.adjustment_id = a.id AND r.kind = 'RECOVERY'), 0) AS outstanding
             FROM adjustment_lines a WHERE a.amount_fen < 0
         ), alloc AS (
           SELECT od.*, g.g,
                  COALESCE(sum(od.outstanding) OVER (PARTITION BY od.person_id ORDER BY od.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
             FROM od JOIN gross g USING (person_id) WHERE od.outstanding > 0
         )
         INSERT INTO payroll_lines (${cols})
         SELECT $1, alloc.person_id, alloc.benefit, 'RECOVERY', alloc.month, -LEAST(alloc.outstanding, alloc.g - alloc.before), alloc.id, alloc.category, ${payee}
           FROM alloc JOIN persons p ON p.id = alloc.person_id
          WHERE alloc.g - alloc.before > 0
          ORDER BY alloc.person_id, alloc.seq`,
        [month],
      );
      const result = await this.summarizeRun(tx, month, me.subject);
      await tx.query('UPDATE payroll_runs SET result = $2 WHERE month = $1', [month, JSON.stringify(result)]);
      return { result, alreadyRun: false };
    });
  }

  private async summarizeRun(q: Queryable, month: YearMonth, runBy: string): Promise<PayrollResult> {
    type Agg = { key: string | null; amount: bigint; lines: number; persons: number };
    const agg = async (col: string) =>
      (
        await q.query<Agg>(
          `SELECT ${col} AS key, sum(amount_fen)::int8 AS amount, count(*)::int AS lines, count(DISTINCT person_id)::int AS persons
             FROM payroll_lines WHERE run_month = $1 GROUP BY ${col} ORDER BY ${col}`,
          [month],
        )
      ).rows;
    const byKind = new Map((await agg('kind')).map((r) => [r.key, r]));
    const byCategory = await agg('category');
    const byDistrict = await agg('district');
    const totals = (
      await q.query<{ amount: bigint | null; lines: number; persons: number }>(
        'SELECT sum(amount_fen)::int8 AS amount, count(*)::int AS lines, count(DISTINCT person_id)::int AS persons FROM payroll_lines WHERE run_month = $1',
        [month],
      )
    ).rows[0]!;
    const skipped = await q.query<{ id: string; status: Status; reason: string | null; n: number }>(
      `SELECT p.id, p.status, p.status_reason AS reason, count(*) OVER ()::int AS n FROM persons p
        WHERE p.status = 'SUSPENDED'
          AND NOT EXISTS (SELECT 1 FROM payroll_lines l WHERE l.person_id = p.id AND l.run_month = $1 AND l.kind = 'REGULAR')
        ORDER BY p.id LIMIT ${LIST_CAP}`,
      [month],
    );
    // A nursing fee uses the previous-year wage (domain.md §2): a period derived in an earlier year
    // still carries an older year's wage in this month's year. It is paid as derived, and listed so
    // that a recompute from January settles the difference.
    const january = `${month.slice(0, 4)}-01`;
    const exceptions = await q.query<{ person_id: string; benefit: string; missing: string[]; n: number }>(
      `SELECT bp.person_id, bp.benefit,
              CASE WHEN bp.benefit = 'NURSING_FEE' AND bp.from_month < $2
                   THEN bp.missing || ARRAY['nursing fee not yet derived from the previous-year wage for ' || left($1, 4) || '; recompute from ' || $2]
                   ELSE bp.missing END AS missing,
              count(*) OVER ()::int AS n
         FROM benefit_periods bp JOIN persons p ON p.id = bp.person_id
        WHERE bp.superseded_by IS NULL AND bp.from_month <= $1 AND (bp.to_month IS NULL OR bp.to_month >= $1)
          AND (cardinality(bp.missing) > 0 OR (bp.benefit = 'NURSING_FEE' AND bp.from_month < $2)) AND p.history_from <= $1
        ORDER BY bp.person_id, bp.benefit LIMIT ${LIST_CAP}`,
      [month, january],
    );
    const s = (x: bigint | null | undefined) => String(x ?? 0n);
    const fmt = (r: Agg) => ({ key: r.key, amount: s(r.amount), lines: r.lines, persons: r.persons });
    return {
      month,
      runBy,
      runAt: this.d.clock.now().toISOString(),
      total: s(totals.amount),
      regular: s(byKind.get('REGULAR')?.amount),
      backPay: s(byKind.get('BACK_PAY')?.amount),
      recovered: s(byKind.get('RECOVERY')?.amount),
      oneOff: s(byKind.get('ONE_OFF')?.amount),
      lines: totals.lines,
      personsPaid: totals.persons,
      byCategory: byCategory.map(fmt),
      byDistrict: byDistrict.map((r) => ({ ...fmt(r), key: r.key ?? '' })),
      skipped: skipped.rows.map((r) => ({ personId: r.id, status: r.status, reason: r.reason ?? '' })),
      skippedCount: skipped.rows[0]?.n ?? 0,
      exceptions: exceptions.rows.map((r) => ({ personId: r.person_id, benefit: r.benefit, missing: r.missing })),
      exceptionCount: exceptions.rows[0]?.n ?? 0,
    };
  }
}

/** First month Youfu pays an imported person: after `paidThrough`, never before the approval month. */
export function importHistoryFrom(approvalDate: string, paidThrough: YearMonth | null): YearMonth | null {
  if (!paidThrough) return null;
  const next = addMonths(paidThrough, 1);
  return next > monthOf(approvalDate) ? next : monthOf(approvalDate);
}
