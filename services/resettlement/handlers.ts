/** gRPC handlers of youfu.resettlement.v1.VeteranResettlementService (issue 11). */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  caseStatusFromJSON,
  deadlineFromJSON,
  honourFromJSON,
  placementModeFromJSON,
  RankType,
  rankTypeFromJSON,
  reportingFromJSON,
  supportKindFromJSON,
  VeteranResettlementServiceService,
  type Case,
} from '../../protos/gen/youfu/resettlement/v1/resettlement';
import type { CaseStep } from '../../protos/gen/youfu/resettlement/v1/events';
import { assertNotOwnProposal, effective, policies, type Caller } from '../lib/auth';
import type { Clock } from '../lib/civil';
import type { ServiceClient } from '../lib/clients';
import { ChangeStatus, EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { resettlementEvents as ev } from '../lib/contracts';
import { toJson, withTx, type Pool } from '../lib/db';
import { entitlementEnums } from '../lib/entitlement';
import { failedPrecondition, invalidArgument, notFound, parseInput } from '../lib/errors';
import { bindService } from '../lib/grpc';
import { nationalIdArg, parseNationalId } from '../lib/national-id';
import { decodeCursor, encodeCursor, pageRequest } from '../lib/paging';
import { maskAccount, maskNationalId, type PiiVault } from '../lib/pii';
import { civilDate, enumMap, money, optionalEnum, requiredEnum, toProtoDate, toProtoMonth } from '../lib/proto';
import { getProposal, listProposals, type Proposal } from '../lib/proposals';
import { decideSetting, jsonBigint, proposeSetting, settingAt, SETTING_KIND } from '../lib/settings';
import { checkedFen } from '../lib/money';
import {
  allowedModes,
  classifyReport,
  DEADLINES,
  economicSubsidy,
  HONOURS,
  mayClose,
  modeRules,
  MODES,
  RANK_TYPES,
  REPORTINGS,
  reportingWindow,
  serviceMonths,
  STATUSES,
  STEP_FROM,
  studyWindowEnds,
  SUPPORT_KINDS,
  transferable,
  type Conditions,
} from './domain/rules';
import * as store from './store';
import { stepEvent } from './store';

/** The setting of the economic subsidy's per-year base (our default formula, domain.md §4). */
export const SUBSIDY_BASE_KEY = 'resettlement.subsidyBase';
export const subsidyBaseValue = z.object({ perYearFen: jsonBigint });
/** The setting of the local monthly minimum wage (the waiting allowance of assigned-work cases). */
export const MINIMUM_WAGE_KEY = 'resettlement.minimumWage';
export const minimumWageValue = z.object({ monthlyFen: jsonBigint });

export const enums = {
  status: enumMap(STATUSES, caseStatusFromJSON, 'CASE_STATUS_'),
  rank: enumMap(RANK_TYPES, rankTypeFromJSON, 'RANK_TYPE_'),
  mode: enumMap(MODES, placementModeFromJSON, 'PLACEMENT_MODE_'),
  honour: enumMap(HONOURS, honourFromJSON, 'HONOUR_'),
  reporting: enumMap(REPORTINGS, reportingFromJSON, 'REPORTING_'),
  deadline: enumMap(DEADLINES, deadlineFromJSON, 'DEADLINE_'),
  support: enumMap(SUPPORT_KINDS, supportKindFromJSON, 'SUPPORT_KIND_'),
};

export interface HandlerDeps {
  pool: Pool;
  pii: PiiVault;
  clock: Clock;
  /** The registry (persons), for the outcome of a registry transfer (GetChangeRequest). */
  persons: ServiceClient<typeof EntitledPersonServiceService>;
  /** The age at discharge from which an NCO may retire (our reading; YOUFU_RESETTLEMENT_RETIREMENT_AGE). */
  retirementAge: number;
}

const text = (max: number) => z.string().trim().min(1, 'required').max(max);
const caseId = z.string().uuid('not a case id');
const district = z.string().regex(/^\d{6}$/, 'a 6-digit district code');

const receiveRequest = z
  .object({
    nationalId: z.string(),
    name: text(100),
    serviceBranch: text(50),
    rankType: requiredEnum(enums.rank),
    ncoLevel: z.number().int().min(0).max(7),
    enlistedOn: civilDate,
    dischargedOn: civilDate,
    dischargeApprovedOn: civilDate,
    honours: z.array(requiredEnum(enums.honour)).max(20),
    disability: z
      .object({ grade: z.number().int().min(1, '1..10').max(10, '1..10'), cause: requiredEnum(entitlementEnums.cause), assessedOn: civilDate, mentalDisorder: z.boolean() })
      .optional(),
    martyrChild: z.boolean(),
    district,
    residence: requiredEnum(entitlementEnums.residence),
    collegeStudent: z.boolean(),
    payee: z.object({ bank: text(100), accountNumber: z.string().trim().regex(/^\d{8,32}$/, '8..32 digits'), accountName: text(100) }).optional(),
    phone: z.string().trim().max(40),
  })
  .superRefine((v, ctx) => {
    if (v.dischargedOn < v.enlistedOn) ctx.addIssue({ code: 'custom', path: ['dischargedOn'], message: 'before the enlistment' });
    if (v.dischargeApprovedOn < v.dischargedOn) ctx.addIssue({ code: 'custom', path: ['dischargeApprovedOn'], message: 'before the discharge' });
    if (v.rankType === 'NCO' && v.ncoLevel < 1) ctx.addIssue({ code: 'custom', path: ['ncoLevel'], message: 'an NCO has a level 1..7' });
    if (v.rankType === 'CONSCRIPT' && v.ncoLevel !== 0) ctx.addIssue({ code: 'custom', path: ['ncoLevel'], message: 'a conscript has no NCO level' });
    if (v.disability && v.disability.cause === 'ILLNESS' && v.disability.grade > 10) ctx.addIssue({ code: 'custom', path: ['disability', 'grade'], message: '1..10' });
  });

export function conditionsOf(c: store.CaseRow): Conditions {
  return {
    rankType: c.rank_type,
    ncoLevel: c.nco_level,
    enlistedOn: c.enlisted_on,
    dischargedOn: c.discharged_on,
    birthDate: c.birth_date,
    honours: c.honours,
    disability: c.disability ? { grade: c.disability.grade, cause: c.disability.cause } : null,
    martyrChild: c.martyr_child,
  };
}

/** The common part of every event: masked, no name or account. */
export function stepOf(c: store.CaseRow, actor: store.Actor): CaseStep {
  return { caseId: c.id, nationalIdMasked: c.id_masked, district: c.district, status: enums.status.toNumber(c.status), mode: enums.mode.toNumber(c.mode), version: c.version, at: c.updated_at, actor: actor.subject };
}

function actorOf(caller: Caller): store.Actor {
  const who = effective(caller);
  return { subject: who.subject, role: who.role, via: caller.actor ? caller.subject : null };
}

export function resettlementBinding(d: HandlerDeps) {
  const { pool, pii, clock } = d;

  function view(c: store.CaseRow): Case {
    const s = c.subsidy;
    return {
      caseId: c.id,
      nationalIdMasked: c.id_masked,
      name: pii.decrypt(c.name_enc),
      serviceBranch: c.service_branch,
      rankType: enums.rank.toNumber(c.rank_type),
      ncoLevel: c.nco_level,
      enlistedOn: toProtoDate(c.enlisted_on),
      dischargedOn: toProtoDate(c.discharged_on),
      dischargeApprovedOn: toProtoDate(c.discharge_approved_on),
      honours: c.honours.map((h) => enums.honour.toNumber(h)),
      ...(c.disability
        ? { disability: { grade: c.disability.grade, cause: entitlementEnums.cause.toNumber(c.disability.cause), assessedOn: toProtoDate(c.disability.assessedOn), mentalDisorder: c.disability.mentalDisorder } }
        : {}),
      martyrChild: c.martyr_child,
      district: c.district,
      residence: entitlementEnums.residence.toNumber(c.residence),
      collegeStudent: c.college_student,
      ...(c.payee_bank ? { payee: { bank: c.payee_bank, accountNumber: c.payee_account_masked ?? '', accountName: pii.decrypt(c.payee_name_enc!) } } : {}),
      status: enums.status.toNumber(c.status),
      reportOnTimeBy: toProtoDate(c.report_on_time_by),
      reportBy: toProtoDate(c.report_by),
      ...(c.reported_on ? { reportedOn: toProtoDate(c.reported_on) } : {}),
      reporting: enums.reporting.toNumber(c.reporting),
      lateReason: c.late_reason ?? '',
      mode: enums.mode.toNumber(c.mode),
      allowedModes: allowedModes(conditionsOf(c), d.retirementAge).map((m) => enums.mode.toNumber(m)),
      ...(s
        ? {
            subsidy: {
              halfYears: s.halfYears,
              perYearBase: money(BigInt(s.perYearBaseFen)),
              honourBp: s.honourBp,
              amount: money(BigInt(s.amountFen)),
              centralRetirementPayment: money(BigInt(s.centralFen)),
              proposedBy: s.proposedBy,
              approvedBy: s.approvedBy ?? '',
              status: s.status,
              note: s.note,
            },
          }
        : {}),
      ...(c.job_offer ? { jobOffer: { employer: c.job_offer.employer, letterNumber: c.job_offer.letterNumber, referredOn: toProtoDate(c.job_offer.referredOn) } } : {}),
      ...(c.onboarded_on ? { onboardedOn: toProtoDate(c.onboarded_on) } : {}),
      missed: c.missed.map((m) => enums.deadline.toNumber(m)),
      receivedBy: c.received_by,
      receivedAt: c.received_at,
      updatedAt: c.updated_at,
      version: c.version,
      closingNote: c.closing_note ?? '',
      serviceMonths: serviceMonths(c.enlisted_on, c.discharged_on),
      support: c.support.map((x) => ({
        recordId: x.id,
        kind: enums.support.toNumber(x.kind),
        startedOn: toProtoDate(x.startedOn),
        provider: x.provider,
        amount: money(BigInt(x.amountFen)),
        note: x.note,
        recordedBy: x.recordedBy,
      })),
      allowances: c.allowances.map((a) => ({ month: toProtoMonth(a.month), amount: money(BigInt(a.amountFen)) })),
      ...(c.registry_transfer
        ? {
            registryTransfer: {
              attempt: c.registry_transfer.attempt,
              origin: c.registry_transfer.origin,
              status: c.registry_transfer.status,
              changeId: c.registry_transfer.changeId ?? '',
              requestedBy: c.registry_transfer.requestedBy,
              message: c.registry_transfer.message,
            },
          }
        : {}),
      ...(c.reinstatement
        ? { reinstatement: { reason: c.reinstatement.reason, proposedBy: c.reinstatement.proposedBy, decidedBy: c.reinstatement.decidedBy ?? '', status: c.reinstatement.status, note: c.reinstatement.note } }
        : {}),
    };
  }

  const proposalView = (p: Proposal) => ({
    proposalId: p.id,
    key: p.subject,
    status: p.status,
    proposedBy: p.proposedBy,
    decidedBy: p.decidedBy ?? '',
    payloadJson: toJson(p.payload),
    note: p.note ?? '',
    proposedAt: p.proposedAt,
    decisionNote: p.decisionNote ?? '',
  });

  /** A setting's value proposed from a date (services/lib/settings.ts: an approver decides with DecideSetting). */
  async function proposeValue<S extends z.ZodType>(key: string, schema: S, value: z.input<S>, v: { effectiveFrom: string; note: string }, caller: Caller) {
    const p = await withTx(pool, (tx) => proposeSetting(tx, { key, schema, value, effectiveFrom: v.effectiveFrom, caller, note: v.note, at: clock.now() }));
    return { proposal: proposalView(p) };
  }

  /** Runs one step for the caller and answers the case after it. */
  const run = async (id: string, caller: Caller, s: Omit<store.Step, 'actor' | 'at'>) => ({ case: view(await store.step(pool, id, { ...s, actor: actorOf(caller), at: clock.now() })) });

  return bindService({
    definition: VeteranResettlementServiceService,
    policies: {
      receiveCase: policies.propose,
      getCase: policies.read,
      listCases: policies.read,
      countCases: policies.read,
      recordReport: policies.propose,
      recordLateReason: policies.propose,
      choosePlacement: policies.propose,
      proposeSubsidy: policies.propose,
      decideSubsidy: policies.decide,
      recordJobOffer: policies.propose,
      recordOnboarding: policies.propose,
      closeCase: policies.propose,
      transferToRegistry: policies.propose,
      recordSupport: policies.propose,
      proposeMinimumWage: policies.propose,
      proposeReinstatement: policies.propose,
      decideReinstatement: policies.decide,
      proposeSubsidyBase: policies.propose,
      decideSetting: policies.decide,
      listSettingProposals: policies.read,
    },
    handlers: {
      async receiveCase(req, ctx) {
        if (req.rankType === RankType.RANK_TYPE_OFFICER) throw failedPrecondition('OFFICER_NOT_SUPPORTED', 'officers (军官) follow other regulations: not handled here');
        const today = clock.today();
        const v = parseInput(receiveRequest, req);
        const nationalId = nationalIdArg(v.nationalId, today);
        const parsed = parseNationalId(nationalId, today);
        if (v.rankType === 'OFFICER') throw failedPrecondition('OFFICER_NOT_SUPPORTED', 'officers (军官) follow other regulations: not handled here');
        if (v.dischargedOn > today) throw invalidArgument('dischargedOn', 'in the future');
        if (v.dischargeApprovedOn > today) throw invalidArgument('dischargeApprovedOn', 'in the future');
        const w = reportingWindow(v.dischargeApprovedOn);
        const actor = actorOf(ctx.caller);
        const now = clock.now();
        const row = await store.insertCase(
          pool,
          {
            id: randomUUID(),
            id_hash: pii.hash(nationalId),
            id_enc: pii.encrypt(nationalId),
            id_masked: maskNationalId(nationalId),
            name_enc: pii.encrypt(v.name),
            gender: parsed.gender,
            birth_date: parsed.birthDate,
            service_branch: v.serviceBranch,
            rank_type: v.rankType,
            nco_level: v.ncoLevel,
            enlisted_on: v.enlistedOn,
            discharged_on: v.dischargedOn,
            discharge_approved_on: v.dischargeApprovedOn,
            honours: [...new Set(v.honours)],
            disability: v.disability ? { grade: v.disability.grade, cause: v.disability.cause, assessedOn: v.disability.assessedOn, mentalDisorder: v.disability.mentalDisorder } : null,
            martyr_child: v.martyrChild,
            district: v.district,
            residence: v.residence,
            college_student: v.collegeStudent,
            payee_bank: v.payee?.bank ?? null,
            payee_account_enc: v.payee ? pii.encrypt(v.payee.accountNumber) : null,
            payee_account_masked: v.payee ? maskAccount(v.payee.accountNumber) : null,
            payee_name_enc: v.payee ? pii.encrypt(v.payee.accountName) : null,
            phone_enc: v.phone ? pii.encrypt(v.phone) : null,
            report_on_time_by: w.onTimeBy,
            report_by: w.reportBy,
            received_by: actor.subject,
            received_at: now,
          },
          actor,
          stepEvent(ev.caseReceived, (c) => ({ step: stepOf(c, actor), rankType: enums.rank.toNumber(c.rank_type), dischargedOn: toProtoDate(c.discharged_on), reportBy: toProtoDate(c.report_by) })),
        );
        return { case: view(row) };
      },

      async getCase(req, ctx) {
        const id = parseInput(caseId, req.caseId, ['caseId']);
        const c = view(await store.mustCase(pool, id));
        // A proposed registration: its outcome as persons has it now.
        const t = c.registryTransfer;
        if (t?.status === 'PROPOSED' && t.changeId) {
          try {
            const { change } = await d.persons.getChangeRequest({ changeId: t.changeId }, ctx);
            if (change?.status === ChangeStatus.CHANGE_STATUS_APPROVED) t.status = 'APPROVED';
            if (change?.status === ChangeStatus.CHANGE_STATUS_REJECTED) t.status = 'REJECTED';
          } catch (err) {
            // Persons unreachable: the case still answers, with the transfer as last recorded.
            ctx.log.warn({ err: String(err), caseId: id }, 'registry transfer outcome unavailable');
          }
        }
        return { case: c };
      },

      async listCases(req) {
        const v = parseInput(
          z.object({ status: optionalEnum(enums.status), district: z.union([z.literal(''), district]), mode: optionalEnum(enums.mode), overdue: z.boolean(), page: pageRequest }),
          req,
        );
        const cursor = v.page.token ? decodeCursor(z.object({ receivedAt: z.string(), id: z.string().uuid() }), v.page.token) : undefined;
        if (v.page.token && !cursor) throw invalidArgument('page.pageToken', 'not a page token of this list', 'INVALID_PAGE_TOKEN');
        const rows = await store.listCases(pool, { status: v.status, district: v.district, mode: v.mode, overdue: v.overdue, ...(cursor ? { after: cursor } : {}), limit: v.page.size + 1 });
        const more = rows.length > v.page.size;
        const items = rows.slice(0, v.page.size);
        const last = items.at(-1);
        return { cases: items.map(view), page: { nextPageToken: more && last ? encodeCursor({ receivedAt: last.received_at.toISOString(), id: last.id }) : '' } };
      },

      async countCases(req) {
        const v = parseInput(z.object({ district: z.union([z.literal(''), district]) }), req);
        const rows = await store.countCases(pool, v.district);
        return { counts: rows.map((r) => ({ district: r.district, mode: enums.mode.toNumber(r.mode), status: enums.status.toNumber(r.status), cases: r.cases })) };
      },

      async recordReport(req, ctx) {
        const v = parseInput(z.object({ caseId, reportedOn: civilDate, lateReason: z.string().trim().max(2000) }), req);
        if (v.reportedOn > clock.today()) throw invalidArgument('reportedOn', 'in the future');
        const actor = actorOf(ctx.caller);
        return run(v.caseId, ctx.caller, {
          name: 'RECORD_REPORT',
          from: STEP_FROM.report,
          change: (c) => {
            const reason = v.lateReason || c.late_reason;
            const r = classifyReport(c.discharge_approved_on, v.reportedOn, !!reason);
            if (typeof r !== 'string') {
              if (r.refused === 'BEFORE_APPROVAL') throw invalidArgument('reportedOn', `before the discharge approval (${c.discharge_approved_on})`);
              throw failedPrecondition('REPORTING_DEADLINE_PASSED', `day 60 was ${c.report_by}: a report after it needs a justified reason (lateReason)`);
            }
            return { status: 'REPORTED', reported_on: v.reportedOn, reporting: r, ...(r !== 'ON_TIME' && reason ? { late_reason: reason } : {}) };
          },
          event: (c) => stepEvent(ev.caseReported, () => ({ step: stepOf(c, actor), reportedOn: toProtoDate(c.reported_on!), reporting: enums.reporting.toNumber(c.reporting) })),
        });
      },

      async recordLateReason(req, ctx) {
        const v = parseInput(z.object({ caseId, reason: text(2000) }), req);
        return run(v.caseId, ctx.caller, { name: 'RECORD_LATE_REASON', from: STEP_FROM.lateReason, change: () => ({ late_reason: v.reason }), detail: { reason: v.reason } });
      },

      async choosePlacement(req, ctx) {
        const v = parseInput(z.object({ caseId, mode: requiredEnum(enums.mode) }), req);
        const actor = actorOf(ctx.caller);
        return run(v.caseId, ctx.caller, {
          name: 'CHOOSE_PLACEMENT',
          from: STEP_FROM.choose,
          change: (c) => {
            const rule = modeRules(conditionsOf(c), d.retirementAge)[v.mode];
            if (!rule.allowed) throw failedPrecondition('MODE_NOT_ALLOWED', `${v.mode} is not open to this case: ${rule.why}`, { mode: v.mode });
            return { status: 'PLACEMENT_CHOSEN', mode: v.mode };
          },
          event: (c) => stepEvent(ev.placementChosen, () => ({ step: stepOf(c, actor) })),
          detail: { mode: v.mode },
        });
      },

      async proposeSubsidy(req, ctx) {
        const v = parseInput(z.object({ caseId, centralRetirementPayment: z.object({ fen: z.bigint().min(0n) }, { error: 'required' }), note: z.string().trim().max(2000) }), req);
        const central = checkedFen(v.centralRetirementPayment.fen, 'centralRetirementPayment');
        const c0 = await store.mustCase(pool, v.caseId);
        const base = await settingAt(pool, SUBSIDY_BASE_KEY, subsidyBaseValue, c0.discharged_on);
        if (!base) throw failedPrecondition('SUBSIDY_BASE_NOT_SET', `no per-year base of the economic subsidy is in force on ${c0.discharged_on} (ProposeSubsidyBase, then an approver decides)`);
        const who = effective(ctx.caller).subject;
        return run(v.caseId, ctx.caller, {
          name: 'PROPOSE_SUBSIDY',
          from: STEP_FROM.proposeSubsidy,
          change: (c) => {
            if (c.mode !== 'SELF_EMPLOYMENT') throw failedPrecondition('NOT_SELF_EMPLOYMENT', `the economic subsidy is for self-employment; this case chose ${c.mode}`);
            if (c.subsidy?.status === 'PENDING') throw failedPrecondition('SUBSIDY_PENDING', 'a subsidy is already proposed: an approver decides it first');
            const s = economicSubsidy(serviceMonths(c.enlisted_on, c.discharged_on), base.perYearFen, c.honours);
            return {
              subsidy: { halfYears: s.halfYears, perYearBaseFen: String(s.perYearBaseFen), honourBp: s.honourBp, amountFen: String(s.amountFen), centralFen: String(central), proposedBy: who, approvedBy: null, status: 'PENDING', note: v.note },
            };
          },
        });
      },

      async decideSubsidy(req, ctx) {
        const v = parseInput(z.object({ caseId, approve: z.boolean(), note: z.string().trim().max(2000) }), req);
        const actor = actorOf(ctx.caller);
        return run(v.caseId, ctx.caller, {
          name: v.approve ? 'APPROVE_SUBSIDY' : 'REJECT_SUBSIDY',
          from: STEP_FROM.decideSubsidy,
          change: (c) => {
            if (c.subsidy?.status !== 'PENDING') throw failedPrecondition('NO_SUBSIDY_PROPOSED', 'no subsidy of this case waits for a decision');
            assertNotOwnProposal(ctx.caller, c.subsidy.proposedBy);
            const subsidy = { ...c.subsidy, approvedBy: actor.subject, status: v.approve ? ('APPROVED' as const) : ('REJECTED' as const), note: v.note || c.subsidy.note };
            return v.approve ? { status: 'SUBSIDY_GRANTED', subsidy } : { subsidy };
          },
          event: (c) =>
            v.approve ? stepEvent(ev.subsidyGranted, () => ({ step: stepOf(c, actor), amount: money(BigInt(c.subsidy!.amountFen)), centralRetirementPayment: money(BigInt(c.subsidy!.centralFen)) })) : undefined,
        });
      },

      async recordJobOffer(req, ctx) {
        const v = parseInput(z.object({ caseId, employer: text(200), letterNumber: text(100), referredOn: civilDate }), req);
        if (v.referredOn > clock.today()) throw invalidArgument('referredOn', 'in the future');
        const actor = actorOf(ctx.caller);
        return run(v.caseId, ctx.caller, {
          name: 'RECORD_JOB_OFFER',
          from: STEP_FROM.offerJob,
          change: (c) => {
            if (c.mode !== 'ASSIGNED_WORK') throw failedPrecondition('NOT_ASSIGNED_WORK', `a referral letter is for assigned work; this case chose ${c.mode}`);
            if (v.referredOn < c.reported_on!) throw invalidArgument('referredOn', `before the report (${c.reported_on})`);
            return { status: 'JOB_OFFERED', job_offer: { employer: v.employer, letterNumber: v.letterNumber, referredOn: v.referredOn } };
          },
          event: (c) => stepEvent(ev.jobOffered, () => ({ step: stepOf(c, actor), employer: c.job_offer!.employer, referredOn: toProtoDate(c.job_offer!.referredOn) })),
        });
      },

      async recordOnboarding(req, ctx) {
        const v = parseInput(z.object({ caseId, onboardedOn: civilDate }), req);
        if (v.onboardedOn > clock.today()) throw invalidArgument('onboardedOn', 'in the future');
        const actor = actorOf(ctx.caller);
        return run(v.caseId, ctx.caller, {
          name: 'RECORD_ONBOARDING',
          from: STEP_FROM.onboard,
          change: (c) => {
            if (v.onboardedOn < c.job_offer!.referredOn) throw invalidArgument('onboardedOn', `before the referral (${c.job_offer!.referredOn})`);
            return { status: 'ONBOARDED', onboarded_on: v.onboardedOn };
          },
          event: (c) => stepEvent(ev.onboarded, () => ({ step: stepOf(c, actor), onboardedOn: toProtoDate(c.onboarded_on!) })),
        });
      },

      async closeCase(req, ctx) {
        const v = parseInput(z.object({ caseId, note: text(2000) }), req);
        const actor = actorOf(ctx.caller);
        return run(v.caseId, ctx.caller, {
          name: 'CLOSE',
          from: ['PLACEMENT_CHOSEN', 'SUBSIDY_GRANTED', 'ONBOARDED'],
          change: (c) => {
            if (!mayClose(c.status, c.mode)) throw failedPrecondition('ILLEGAL_TRANSITION', `a ${c.mode} case closes from ${c.mode === 'SELF_EMPLOYMENT' ? 'SUBSIDY_GRANTED' : 'ONBOARDED'}, not ${c.status}`, { status: c.status, step: 'CLOSE' });
            return { status: 'CLOSED', closing_note: v.note };
          },
          event: (c) => stepEvent(ev.caseClosed, () => ({ step: stepOf(c, actor) })),
        });
      },

      async proposeReinstatement(req, ctx) {
        const v = parseInput(z.object({ caseId, reason: text(2000) }), req);
        const who = effective(ctx.caller).subject;
        return run(v.caseId, ctx.caller, {
          name: 'PROPOSE_REINSTATEMENT',
          from: STEP_FROM.reinstate,
          change: (c) => {
            if (c.reinstatement?.status === 'PENDING') throw failedPrecondition('REINSTATEMENT_PENDING', 'a reinstatement is already proposed: an approver decides it first');
            return { reinstatement: { reason: v.reason, proposedBy: who, decidedBy: null, status: 'PENDING', note: '' } };
          },
          detail: { reason: v.reason },
        });
      },

      async decideReinstatement(req, ctx) {
        const v = parseInput(z.object({ caseId, approve: z.boolean(), note: z.string().trim().max(2000) }), req);
        const actor = actorOf(ctx.caller);
        if (v.approve && (await store.otherOpenCase(pool, await store.mustCase(pool, v.caseId)))) {
          throw failedPrecondition('OPEN_CASE_EXISTS', 'another case of this ID number is open: close it first');
        }
        return run(v.caseId, ctx.caller, {
          name: v.approve ? 'REINSTATE' : 'REJECT_REINSTATEMENT',
          from: STEP_FROM.reinstate,
          change: (c) => {
            const r = c.reinstatement;
            if (r?.status !== 'PENDING') throw failedPrecondition('NO_REINSTATEMENT_PROPOSED', 'no reinstatement of this case waits for a decision');
            assertNotOwnProposal(ctx.caller, r.proposedBy);
            const reinstatement = { ...r, decidedBy: actor.subject, status: v.approve ? ('APPROVED' as const) : ('REJECTED' as const), note: v.note };
            return v.approve ? { status: 'RECEIVED', late_reason: r.reason, reinstatement } : { reinstatement };
          },
          event: (c) => (v.approve ? stepEvent(ev.caseReinstated, () => ({ step: stepOf(c, actor), reason: c.reinstatement!.reason })) : undefined),
        });
      },

      async transferToRegistry(req, ctx) {
        const v = parseInput(z.object({ caseId }), req);
        const actor = actorOf(ctx.caller);
        const c0 = await store.mustCase(pool, v.caseId);
        const current = c0.registry_transfer;
        const live = current?.status === 'PROPOSED' && current.changeId ? (await d.persons.getChangeRequest({ changeId: current.changeId }, ctx)).change?.status : undefined;
        return run(v.caseId, ctx.caller, {
          name: 'REQUEST_REGISTRY_TRANSFER',
          from: STEP_FROM.transfer,
          change: (c) => {
            const t = transferable(c.disability);
            if (!t.ok) throw failedPrecondition(t.reason, t.why);
            if (!c.payee_bank) throw failedPrecondition('PAYEE_REQUIRED', 'the registry pays a payee account: record it on the case first');
            const r = c.registry_transfer;
            // Requested, proposed (and not rejected) or registered: a repeat changes nothing.
            const ended = r?.status === 'REJECTED' || r?.status === 'REFUSED' || (r?.status === 'PROPOSED' && live === ChangeStatus.CHANGE_STATUS_REJECTED);
            if (r && !ended) return null;
            const attempt = (r?.attempt ?? 0) + 1;
            return { registry_transfer: { attempt, origin: `resettlement:${c.id}:${attempt}`, status: 'REQUESTED', changeId: null, requestedBy: actor.subject, requestedOn: clock.today(), message: '' } };
          },
          event: (c) => stepEvent(ev.registryTransferRequested, () => ({ step: stepOf(c, actor), attempt: c.registry_transfer!.attempt, origin: c.registry_transfer!.origin })),
        });
      },

      async recordSupport(req, ctx) {
        const v = parseInput(
          z
            .object({ caseId, kind: requiredEnum(enums.support), startedOn: civilDate, provider: text(200), amount: z.object({ fen: z.bigint().min(0n) }).optional(), note: z.string().trim().max(2000) })
            .superRefine((x, c) => {
              const fen = x.amount?.fen ?? 0n;
              if (x.kind === 'LOAN_INTEREST_SUBSIDY' && fen <= 0n) c.addIssue({ code: 'custom', path: ['amount'], message: 'the interest subsidy granted: required, positive' });
              if (x.kind !== 'LOAN_INTEREST_SUBSIDY' && fen !== 0n) c.addIssue({ code: 'custom', path: ['amount'], message: 'only a loan interest subsidy has an amount' });
            }),
          req,
        );
        if (v.startedOn > clock.today()) throw invalidArgument('startedOn', 'in the future');
        const actor = actorOf(ctx.caller);
        const record: store.SupportValue = { id: randomUUID(), kind: v.kind, startedOn: v.startedOn, provider: v.provider, amountFen: String(checkedFen(v.amount?.fen ?? 0n, 'amount')), note: v.note, recordedBy: actor.subject };
        return run(v.caseId, ctx.caller, {
          name: `RECORD_${v.kind}`,
          from: STEP_FROM.support,
          change: (c) => {
            if (v.startedOn < c.discharged_on) throw invalidArgument('startedOn', `before the discharge (${c.discharged_on})`);
            if (v.kind === 'RESUMED_STUDY') {
              if (!c.college_student) throw failedPrecondition('NOT_A_COLLEGE_STUDENT', 'resumed study is for veterans who enlisted as college students');
              const last = studyWindowEnds(c.discharged_on);
              if (v.startedOn > last) throw failedPrecondition('STUDY_WINDOW_CLOSED', `study may resume until ${last}, 2 years after the discharge`);
            }
            return {};
          },
          also: (tx) => store.insertSupport(tx, v.caseId, record, clock.now()),
          event: (c) => stepEvent(ev.supportRecorded, () => ({ step: stepOf(c, actor), kind: enums.support.toNumber(v.kind), startedOn: toProtoDate(v.startedOn), amount: money(BigInt(record.amountFen)) })),
          detail: { kind: v.kind, provider: v.provider },
        });
      },

      async proposeMinimumWage(req, ctx) {
        const v = parseInput(z.object({ effectiveFrom: civilDate, monthly: z.object({ fen: z.bigint().min(1n, 'positive') }, { error: 'required' }), note: text(2000) }), req);
        return proposeValue(MINIMUM_WAGE_KEY, minimumWageValue, { monthlyFen: checkedFen(v.monthly.fen, 'monthly') }, v, ctx.caller);
      },

      async proposeSubsidyBase(req, ctx) {
        const v = parseInput(z.object({ effectiveFrom: civilDate, perYearBase: z.object({ fen: z.bigint().min(1n, 'positive') }, { error: 'required' }), note: text(2000) }), req);
        return proposeValue(SUBSIDY_BASE_KEY, subsidyBaseValue, { perYearFen: checkedFen(v.perYearBase.fen, 'perYearBase') }, v, ctx.caller);
      },

      async listSettingProposals(req) {
        const v = parseInput(z.object({ status: z.enum(['', 'PENDING', 'APPROVED', 'REJECTED']), page: pageRequest }), req);
        const r = await listProposals(pool, { kind: SETTING_KIND, ...(v.status ? { status: v.status } : {}), page: v.page });
        return { proposals: r.items.map(proposalView), page: { nextPageToken: r.nextPageToken } };
      },

      async decideSetting(req, ctx) {
        const v = parseInput(z.object({ proposalId: z.string().uuid('not a proposal id'), approve: z.boolean(), note: z.string().trim().max(2000) }), req);
        const p = await withTx(pool, async (tx) => {
          const found = await getProposal(tx, v.proposalId);
          if (!found || found.kind !== SETTING_KIND) throw notFound(`proposal ${v.proposalId}`, 'PROPOSAL_NOT_FOUND');
          return (await decideSetting(tx, v.proposalId, { decision: v.approve ? 'APPROVED' : 'REJECTED', caller: ctx.caller, ...(v.note ? { note: v.note } : {}), at: clock.now() })).proposal;
        });
        return { proposal: proposalView(p) };
      },
    },
  });
}
