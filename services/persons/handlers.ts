/** gRPC handlers of EntitledPersonService: validate (zod + domain rules), call the service, map views. */
import { z } from 'zod';
import {
  EntitledPersonServiceService,
  type ImportPersonsRequest,
  type ImportRecordResult,
  type ProposeChangeRequest,
  type RegistrationDetails,
} from '../../protos/gen/youfu/persons/v1/persons';
import { mayReadFullId, policies, type Caller } from '../lib/auth';
import { decodeCursor, pageOf, pageRequest } from '../lib/paging';
import type { CivilDate } from '../lib/civil';
import type { Pool } from '../lib/db';
import { AppError, invalidArgument, notFound, parseInput } from '../lib/errors';
import { bindService, type Handlers } from '../lib/grpc';
import type { PiiVault } from '../lib/pii';
import type { ChangeSpec } from './domain/changes';
import { eligibility } from './domain/eligibility';
import { sameName } from './domain/names';
import { nationalIdArg } from '../lib/national-id';
import { registrationViolations } from './domain/rules';
import type { Registration } from './domain/types';
import { closeImport, importBatch, importHistoryFrom, openImport, type ImportItem } from './imports';
import { runPayroll } from './payroll';
import type { PersonsService } from './service';
import * as store from './store';
import { batches } from './stream';
import { adjustmentView, auditView, changeView, identityView, payrollView, periodView, personView } from './views';
import {
  attributesSchema,
  civilDate,
  enums,
  payeeSchema,
  registrationSchema,
  uuid,
  yearMonth,
  toPbMonth,
  money,
} from './wire';

/** Parses and checks one registration; throws INVALID_ARGUMENT with paths under `prefix`. */
export function parseRegistration(pb: RegistrationDetails | undefined, today: CivilDate, prefix: string): Registration {
  const r = parseInput(registrationSchema, pb, [prefix]);
  const reg: Registration = {
    nationalId: r.nationalId,
    name: r.name,
    gender: r.gender,
    birthDate: r.birthDate,
    district: r.districtCode,
    residence: r.residence,
    contact: r.contact,
    approvalDate: r.approvalDate,
    payee: r.payee,
    identities: r.identities.map((i) => ({ attrs: i.attributes, from: i.effectiveFrom })),
    historyFrom: null,
  };
  const vs = registrationViolations(reg, today);
  if (vs.length) {
    const violations = vs.map((v) => ({ field: `${prefix}.${v.field}`, description: v.description }));
    throw new AppError('INVALID_ARGUMENT', vs[0]!.reason, violations.map((v) => `${v.field}: ${v.description}`).join('; '), violations);
  }
  return reg;
}

/** One import message → a parsed record or the reason it is rejected. */
function parseImportItem(m: ImportPersonsRequest, today: CivilDate): ImportItem {
  if (m.item?.$case !== 'record') return { row: 0, ok: false, reason: 'NOT_A_RECORD', field: 'item', message: 'after the header, every message must be a record' };
  const rec = m.item.value;
  if (!Number.isInteger(rec.row) || rec.row < 1) return { row: rec.row, ok: false, reason: 'INVALID_ROW', field: 'row', message: 'row numbers start at 1' };
  try {
    const reg = parseRegistration(rec.person, today, 'person');
    const paidThrough = rec.paidThrough ? parseInput(yearMonth, rec.paidThrough, ['paidThrough']) : null;
    return { row: rec.row, ok: true, reg: { ...reg, historyFrom: importHistoryFrom(reg.approvalDate, paidThrough) } };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { row: rec.row, ok: false, reason: err.reason, field: err.violations[0]?.field ?? '', message: err.message };
  }
}

const changeSchema = z.object({ personId: uuid, expectedVersion: z.bigint().positive('the person version you saw (≥ 1)') });
const identityIdDate = z.object({ identityId: uuid, effectiveDate: civilDate });

/** The oneof `change` of ProposeChangeRequest → a ChangeSpec (shape only; rules are checked by the domain). */
function parseChange(req: ProposeChangeRequest, today: CivilDate): ChangeSpec {
  const c = req.change;
  if (!c) throw invalidArgument('change', 'exactly one change is required');
  const at = [c.$case];
  switch (c.$case) {
    case 'addIdentity': {
      const v = parseInput(z.object({ identity: z.object({ attributes: attributesSchema, effectiveFrom: civilDate }, { error: 'required' }) }), c.value, at);
      return { kind: 'ADD_IDENTITY', attrs: v.identity.attributes, effectiveDate: v.identity.effectiveFrom };
    }
    case 'changeIdentity': {
      const v = parseInput(identityIdDate.extend({ attributes: attributesSchema }), c.value, at);
      return { kind: 'CHANGE_IDENTITY', identityId: v.identityId, attrs: v.attributes, effectiveDate: v.effectiveDate };
    }
    case 'endIdentity': {
      const v = parseInput(identityIdDate.extend({ reason: z.string().trim().min(1, 'required').max(500) }), c.value, at);
      return { kind: 'END_IDENTITY', ...v };
    }
    case 'suspend': {
      const v = parseInput(z.object({ effectiveDate: civilDate, reason: z.string().trim().min(1, 'required').max(500) }), c.value, at);
      return { kind: 'SUSPEND', ...v };
    }
    case 'resume':
      return { kind: 'RESUME', ...parseInput(z.object({ effectiveDate: civilDate }), c.value, at) };
    case 'transferOut': {
      const v = parseInput(z.object({ effectiveDate: civilDate, reason: z.string().trim().min(1, 'required').max(500) }), c.value, at);
      return { kind: 'TRANSFER_OUT', ...v };
    }
    case 'recordDeath': {
      const v = parseInput(
        z.object({
          dateOfDeath: civilDate,
          cause: z.number().refine((n) => n === 1 || n === 2, 'ILLNESS or OTHER is required'),
          nextOfKin: payeeSchema.refine((p) => /^\d{8,32}$/.test(p.accountNumber) && p.bank && p.accountName, 'bank, account number (8..32 digits) and name are required'),
        }),
        c.value,
        at,
      );
      return { kind: 'RECORD_DEATH', effectiveDate: v.dateOfDeath, cause: v.cause === 1 ? 'ILLNESS' : 'OTHER', nextOfKin: v.nextOfKin };
    }
    case 'changePayee': {
      const v = parseInput(
        z.object({ payee: payeeSchema.refine((p) => /^\d{8,32}$/.test(p.accountNumber) && p.bank && p.accountName, 'bank, account number (8..32 digits) and name are required') }),
        c.value,
        at,
      );
      return { kind: 'CHANGE_PAYEE', payee: v.payee, effectiveDate: today };
    }
    case 'recompute':
      return { kind: 'RECOMPUTE', ...parseInput(z.object({ effectiveDate: civilDate }), c.value, at) };
  }
}

export interface HandlerDeps {
  svc: PersonsService;
  pool: Pool;
  pii: PiiVault;
}

export function personsBinding({ svc, pool, pii }: HandlerDeps) {
  const personResponse = async (id: string, caller: Caller) => {
    const p = await store.getPerson(pool, id);
    if (!p) throw notFound(`person ${id}`);
    const ids = (await store.identitiesOf(pool, [id])).get(id) ?? [];
    return personView(p, ids, caller, pii);
  };
  /** person id → national ID as the caller may see it. */
  const shownIds = async (personIds: string[], caller: Caller) => {
    if (!personIds.length) return new Map<string, string>();
    const full = mayReadFullId(caller);
    const r = await pool.query<{ id: string; id_masked: string; id_enc: string }>('SELECT id, id_masked, id_enc FROM persons WHERE id = ANY($1)', [personIds]);
    return new Map(r.rows.map((x) => [x.id, full ? pii.decrypt(x.id_enc) : x.id_masked]));
  };

  const handlers: Handlers<typeof EntitledPersonServiceService> = {
    async proposeRegistration(req, ctx) {
      const reg = parseRegistration(req.person, svc.today(), 'person');
      const origin = parseInput(z.string().max(200).regex(/^([a-z]+:[A-Za-z0-9:_-]+)?$/, '<system>:<id>, e.g. resettlement:<case id>:1'), req.origin, ['origin']);
      return { change: changeView(await svc.proposeRegistration(reg, ctx.caller, origin)) };
    },

    async proposeChange(req, ctx) {
      const { personId, expectedVersion } = parseInput(changeSchema, req);
      const spec = parseChange(req, svc.today());
      return { change: changeView(await svc.proposeChange(personId, expectedVersion, spec, ctx.caller)) };
    },

    async importPersons(reqs, ctx) {
      const it = reqs[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done || first.value.item?.$case !== 'header') throw invalidArgument('item.header', 'the first message must be the header', 'HEADER_REQUIRED');
      const header = parseInput(z.object({ idempotencyKey: z.string().trim().min(1, 'required').max(200), description: z.string().max(500) }), first.value.item.value, ['header']);
      const ref = await openImport({ svc, pool }, header.idempotencyKey, header.description, ctx.caller);
      const results: ImportRecordResult[] = [];
      const today = svc.today();
      let end: number | undefined;
      let received = 0;
      for await (const batch of batches(it, 1000, 20)) {
        const items: ImportItem[] = [];
        for (const m of batch) {
          if (end === undefined && m.item?.$case === 'end') end = m.item.value.recordCount;
          else if (end !== undefined) items.push({ row: m.item?.$case === 'record' ? m.item.value.row : 0, ok: false, reason: 'AFTER_END', field: 'item', message: 'nothing may follow the end message' });
          else {
            received++;
            items.push(parseImportItem(m, today));
          }
        }
        if (items.length) results.push(...(await importBatch({ svc, pool }, ref, items)));
      }
      // Only a stream that ends with its end message (and the right count) is a whole file.
      const complete = end !== undefined && end === received;
      const closed = await closeImport({ svc, pool }, ref, complete);
      const accepted = results.filter((r) => r.accepted).length;
      ctx.log.info({ changeId: closed?.id, accepted, rejected: results.length - accepted, complete }, 'import stream ended');
      return { results, summary: { ...(closed ? { change: changeView(closed) } : {}), accepted, rejected: results.length - accepted, complete: complete || (closed !== undefined && closed.status !== 'OPEN') } };
    },

    async approveChange(req, ctx) {
      const { changeId, note } = parseInput(z.object({ changeId: uuid, note: z.string().max(1000) }), req);
      const r = await svc.approve(changeId, note || null, ctx.caller);
      return {
        change: changeView(r.change),
        ...(r.person ? { person: await personResponse(r.person.id, ctx.caller) } : {}),
        effect: {
          personsRegistered: r.effect.personsRegistered,
          backPay: money(r.effect.backPay),
          overpayment: money(r.effect.overpayment),
          funeralSubsidy: money(r.effect.funeral),
          lines: r.effect.lines,
        },
      };
    },

    async rejectChange(req, ctx) {
      const { changeId, reason } = parseInput(z.object({ changeId: uuid, reason: z.string().trim().min(1, 'required').max(1000) }), req);
      return { change: changeView(await svc.reject(changeId, reason, ctx.caller)) };
    },

    async getChangeRequest(req) {
      const { changeId } = parseInput(z.object({ changeId: uuid }), req);
      const c = await store.getChange(pool, changeId);
      if (!c) throw notFound(`change ${changeId}`);
      const p = await svc.preview(c);
      const json = (x: unknown) => (x === undefined ? '' : JSON.stringify(x));
      return { change: changeView(c), before: json(p.before), after: json(p.after), problem: p.problem ?? '' };
    },

    async listChangeRequests(req) {
      const f = parseInput(z.object({ status: z.number().int(), personId: z.union([z.literal(''), uuid]), proposedBy: z.string().max(200) }), req);
      const status = f.status ? enums.changeStatus.fromNumber(f.status) : undefined;
      if (f.status && !status) throw invalidArgument('status', 'unknown status');
      const page = parseInput(pageRequest, req.page, ['page']);
      const after = decodeCursor(z.object({ at: z.string().datetime(), id: uuid }), page.token);
      const rows = await store.listChanges(pool, { ...(status ? { status } : {}), ...(f.personId ? { personId: f.personId } : {}), ...(f.proposedBy ? { proposedBy: f.proposedBy } : {}), ...(after ? { after } : {}), limit: page.size + 1 });
      const { items, nextPageToken } = pageOf(rows, page.size, (last) => ({ at: last.proposed_at.toISOString(), id: last.id }));
      return { changes: items.map(changeView), page: { nextPageToken } };
    },

    async updateContact(req, ctx) {
      const v = parseInput(
        z.object({
          personId: uuid,
          expectedVersion: z.bigint().positive('the person version you saw (≥ 1)'),
          contact: z.object({ phone: z.string().trim().max(40), address: z.string().trim().max(300) }, { error: 'required' }),
        }),
        req,
      );
      const p = await svc.updateContact(v.personId, v.expectedVersion, v.contact, ctx.caller);
      return { person: await personResponse(p.id, ctx.caller) };
    },

    async getPerson(req, ctx) {
      const { personId } = parseInput(z.object({ personId: uuid }), req);
      return { person: await personResponse(personId, ctx.caller) };
    },

    async findPersonByNationalId(req, ctx) {
      const id = nationalIdArg(req.nationalId, svc.today());
      const p = await store.personByHash(pool, svc.hashId(id));
      if (!p) throw notFound('a person with this national ID number');
      return { person: await personResponse(p.id, ctx.caller) };
    },

    async listPersons(req, ctx) {
      const f = parseInput(z.object({ category: z.number().int(), districtCode: z.union([z.literal(''), z.string().regex(/^\d{6}$/, 'a 6-digit code')]), status: z.number().int() }), req);
      const category = f.category ? enums.category.fromNumber(f.category) : undefined;
      if (f.category && !category) throw invalidArgument('category', 'unknown category');
      const status = f.status ? enums.status.fromNumber(f.status) : undefined;
      if (f.status && !status) throw invalidArgument('status', 'unknown status');
      const page = parseInput(pageRequest, req.page, ['page']);
      const after = decodeCursor(z.object({ id: uuid }), page.token);
      const rows = await store.listPersons(pool, {
        ...(category ? { category } : {}),
        ...(f.districtCode ? { district: f.districtCode } : {}),
        ...(status ? { status } : {}),
        ...(after ? { after: after.id } : {}),
        limit: page.size + 1,
      });
      const { items: shown, nextPageToken } = pageOf(rows, page.size, (last) => ({ id: last.id }));
      const ids = await store.identitiesOf(pool, shown.map((p) => p.id));
      return { persons: shown.map((p) => personView(p, ids.get(p.id) ?? [], ctx.caller, pii)), page: { nextPageToken } };
    },

    async checkEligibility(req) {
      const today = svc.today();
      const id = nationalIdArg(req.nationalId, today);
      const date = parseInput(civilDate, req.date, ['date']);
      const name = parseInput(z.string().max(100), req.name, ['name']);
      const p = await store.personByHash(pool, svc.hashId(id));
      if (!p) return { entitled: false, reason: 'NOT_REGISTERED', personId: '', nationalIdMasked: '', status: 0, identities: [], nameMatches: false };
      const identities = (await store.identitiesOf(pool, [p.id])).get(p.id) ?? [];
      const e = eligibility(await store.statusEventsOf(pool, p.id), identities.map(store.identitySpan), date);
      const held = new Set(e.held.map((h) => h.id));
      return {
        entitled: e.entitled,
        reason: e.reason,
        personId: p.id,
        nationalIdMasked: p.id_masked,
        status: enums.status.toNumber(e.status),
        identities: identities.filter((i) => held.has(i.id)).map(identityView),
        nameMatches: name !== '' && sameName(name, pii.decrypt(p.name_enc)),
      };
    },

    async getBenefits(req) {
      const { personId, includeSuperseded } = parseInput(z.object({ personId: uuid, includeSuperseded: z.boolean() }), req);
      if (!(await store.getPerson(pool, personId))) throw notFound(`person ${personId}`);
      return {
        periods: (await store.periodsOf(pool, personId, includeSuperseded)).map(periodView),
        adjustments: (await store.adjustmentsOf(pool, personId)).map(adjustmentView),
      };
    },

    async getAuditTrail(req) {
      const { personId } = parseInput(z.object({ personId: uuid }), req);
      if (!(await store.getPerson(pool, personId))) throw notFound(`person ${personId}`);
      return { entries: (await store.auditOf(pool, personId)).map(auditView) };
    },

    async runPayroll(req, ctx) {
      const month = parseInput(yearMonth, req.month, ['month']);
      const { result, alreadyRun } = await runPayroll({ svc, pool }, month, ctx.caller);
      const ids = await shownIds([...new Set([...result.skipped.map((s) => s.personId), ...result.exceptions.map((e) => e.personId)])], ctx.caller);
      return { payroll: payrollView(result, ids), alreadyRun };
    },

    async listPayrollLines(req, ctx) {
      const month = parseInput(yearMonth, req.month, ['month']);
      const { personId } = parseInput(z.object({ personId: z.union([z.literal(''), uuid]) }), req);
      const page = parseInput(pageRequest, req.page, ['page']);
      const after = decodeCursor(z.object({ id: z.string().regex(/^\d{1,18}$/) }), page.token);
      const r = await store.payrollLines(pool, month, personId || null, after?.id ?? null, page.size + 1);
      const { items: shown, nextPageToken } = pageOf(r.rows, page.size, (last) => ({ id: String(last.id) }));
      const ids = await shownIds([...new Set(shown.map((l) => l.person_id))], ctx.caller);
      const full = mayReadFullId(ctx.caller);
      return {
        lines: shown.map((l) => ({
          personId: l.person_id,
          nationalId: ids.get(l.person_id) ?? '',
          benefit: enums.benefit.toNumber(l.benefit as never),
          kind: enums.lineKind.toNumber(l.kind),
          forMonth: toPbMonth(l.for_month),
          amount: money(l.amount_fen),
          payee: { bank: l.payee_bank, accountNumber: full ? pii.decrypt(l.payee_account_enc) : l.payee_account_masked, accountName: pii.decrypt(l.payee_name_enc) },
          category: l.category ? enums.category.toNumber(l.category as never) : 0,
          districtCode: l.district,
        })),
        page: { nextPageToken },
      };
    },

    async listAdjustmentImpact(req) {
      const { runId, page, changedSinceSimulation } = parseInput(z.object({ runId: z.string().regex(/^[\w:.-]{1,200}$/, 'a run id'), page: pageRequest, changedSinceSimulation: z.boolean() }), req);
      const after = decodeCursor(z.object({ id: uuid }), page.token);
      const rows = await store.impactsOf(pool, runId, after?.id ?? null, page.size + 1, changedSinceSimulation);
      const { items, nextPageToken } = pageOf(rows, page.size, (last) => ({ id: last.person_id }));
      const totals = await store.impactTotals(pool, runId);
      const total = (t: store.ImpactTotalRow) => ({
        group: t.grp ?? '',
        persons: BigInt(t.persons),
        personsAffected: BigInt(t.affected),
        backPay: money(BigInt(t.back_pay)),
        monthlyChange: money(BigInt(t.monthly_change)),
        budgetToDecember: money(BigInt(t.budget)),
        funeralTopUp: money(BigInt(t.funeral)),
      });
      const fen = (v: bigint | null) => money(v ?? 0n);
      return {
        impacts: items.map((r) => ({
          personId: r.person_id,
          districtCode: r.district,
          category: r.category ? enums.category.toNumber(r.category as never) : 0,
          personVersion: r.person_version ?? 0n,
          oldMonthly: fen(r.old_monthly_fen),
          newMonthly: fen(r.new_monthly_fen),
          backPay: fen(r.back_pay_fen),
          budgetToDecember: fen(r.budget_to_december_fen),
          funeralTopUp: fen(r.funeral_top_up_fen),
          simulated: r.simulated,
          applied: r.applied,
          appliedPersonVersion: r.applied_person_version ?? 0n,
          appliedBackPay: fen(r.applied_back_pay_fen),
          appliedFuneralTopUp: fen(r.applied_funeral_fen),
          appliedNewMonthly: fen(r.applied_new_monthly_fen),
          changedSinceSimulation: r.applied && r.applied_person_version !== r.person_version,
        })),
        total: total(totals.total),
        byCategory: totals.byCategory.map(total),
        byDistrict: totals.byDistrict.map(total),
        page: { nextPageToken },
      };
    },
  };

  return bindService({
    definition: EntitledPersonServiceService,
    handlers,
    policies: {
      proposeRegistration: policies.propose,
      proposeChange: policies.propose,
      importPersons: policies.propose,
      approveChange: policies.decide,
      rejectChange: policies.decide,
      getChangeRequest: policies.read,
      listChangeRequests: policies.read,
      updateContact: policies.propose,
      getPerson: policies.read,
      findPersonByNationalId: policies.read,
      listPersons: policies.read,
      checkEligibility: policies.read,
      getBenefits: policies.read,
      getAuditTrail: policies.read,
      runPayroll: policies.decide,
      listPayrollLines: policies.read,
      listAdjustmentImpact: policies.read,
    },
    // The resettlement service registers a disabled veteran for the resettlement officer (clerk) handling the case.
    delegations: { proposeRegistration: [{ service: 'resettlement', as: ['clerk'] }] },
  });
}
