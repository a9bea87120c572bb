/**
 * Resettlement cases end to end on the real stack (PostgreSQL, Kafka, the Temporal dev server): an
 * officer carries cases from receipt to closing through the gRPC API, bad input changes nothing,
 * every step reaches Kafka as an event, and a case past its reporting deadline lapses by itself
 * (its workflow). Timers over days and months: workflows/resettlement/deadlines.test.ts.
 */
import { status } from '@grpc/grpc-js';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisabilityCause, Residence } from '../../protos/gen/youfu/common/v1/entitlement';
import { CaseStatus, Honour, PlacementMode, RankType, Reporting, SupportKind, VeteranResettlementServiceService, type ReceiveCaseRequest } from '../../protos/gen/youfu/resettlement/v1/resettlement';
import { addDays } from '../../services/lib/civil';
import { createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { createKafka } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { startService, type RunningService } from '../../services/lib/runtime';
import { resettlementModule } from '../../services/resettlement/index';
import { movableClock, pbDate } from '../persons/support';
import { eventually, freshDatabase, serviceEnv, testConfig, token, topicPrefix, uniqueId } from '../support/env';
import { failure } from '../support/grpc';
import { idGenerator } from '../support/national-ids';

const TODAY = '2026-03-20';
const gen = idGenerator(41);

describe('resettlement cases (real stack)', () => {
  const { clock } = movableClock(TODAY);
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let svc: RunningService;
  let client: UnaryClient<typeof VeteranResettlementServiceService>;
  let consumer: Consumer;
  const seen: { type: string; key: string }[] = [];
  let clerk: string, clerk2: string, approver: string;

  beforeAll(async () => {
    db = await freshDatabase('resettlement');
    const prefix = topicPrefix('resettlement');
    // Its own task queue: the case workflows of this run reach this run's worker (and database) only.
    svc = await startService(resettlementModule, { env: serviceEnv(db.adminUrl, prefix, { YOUFU_ACTIVITY_QUEUE: uniqueId('resettlement') }), clock });
    client = createUnaryClient(VeteranResettlementServiceService, `127.0.0.1:${svc.grpcPort}`);
    [clerk, clerk2, approver] = await Promise.all([token('clerk', 'officer-zhao'), token('clerk', 'officer-qian'), token('approver', 'chief-sun')]);
    consumer = createKafka(testConfig.YOUFU_KAFKA_BROKERS, 'resettlement-test', createLogger('test', 'error')).consumer({ groupId: `${prefix}test-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}youfu.resettlement.v1`, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push({ type: String(message.headers?.ce_type), key: String(message.key) }) });
  }, 120_000);
  afterAll(async () => {
    await consumer?.disconnect();
    client?.close();
    await svc?.stop();
    await db?.drop();
  });

  const request = (o: Partial<ReceiveCaseRequest> = {}): ReceiveCaseRequest => ({
    nationalId: gen({ birthDate: '2003-05-14', gender: 'MALE' }).id,
    name: '王小兵',
    serviceBranch: '陆军',
    rankType: RankType.RANK_TYPE_CONSCRIPT,
    ncoLevel: 0,
    enlistedOn: pbDate('2024-03-10'),
    dischargedOn: pbDate('2026-03-09'),
    dischargeApprovedOn: pbDate('2026-03-12'),
    honours: [],
    martyrChild: false,
    district: '440106',
    residence: Residence.RESIDENCE_URBAN,
    collegeStudent: false,
    phone: '13800000000',
    ...o,
  });

  it('self-employment: received → reported → chosen → subsidy proposed and approved → closed, each step an event', async () => {
    // The per-year base in force on the discharge date: a clerk proposes, an approver decides.
    const proposed = await client.proposeSubsidyBase({ effectiveFrom: pbDate('2026-01-01'), perYearBase: { fen: 1_500_000n }, note: '2026 base (Guangzhou notice)' }, clerk);
    expect((await failure(client.decideSetting({ proposalId: proposed.proposal!.proposalId, approve: true, note: '' }, clerk))).code).toBe(status.PERMISSION_DENIED);
    // It waits in the list of pending settings, with its value, date and note, for an approver to find.
    const pending = await client.listSettingProposals({ status: 'PENDING', page: undefined }, approver);
    expect(pending.proposals.find((x) => x.proposalId === proposed.proposal!.proposalId)).toMatchObject({ status: 'PENDING', proposedBy: 'officer-zhao', note: '2026 base (Guangzhou notice)' });
    expect(JSON.parse(pending.proposals.find((x) => x.proposalId === proposed.proposal!.proposalId)!.payloadJson)).toMatchObject({ effectiveFrom: '2026-01-01', value: { perYearFen: '1500000' } });
    await client.decideSetting({ proposalId: proposed.proposal!.proposalId, approve: true, note: 'ok' }, approver);
    expect((await client.listSettingProposals({ status: 'PENDING', page: undefined }, clerk)).proposals.map((x) => x.proposalId)).not.toContain(proposed.proposal!.proposalId);
    expect((await client.listSettingProposals({ status: 'APPROVED', page: undefined }, clerk)).proposals[0]).toMatchObject({ proposalId: proposed.proposal!.proposalId, decidedBy: 'chief-sun', decisionNote: 'ok' });

    const first = request({ honours: [Honour.HONOUR_THIRD_CLASS_MERIT, Honour.HONOUR_SECOND_CLASS_MERIT] });
    const { case: c } = await client.receiveCase(first, clerk);
    expect(c).toMatchObject({ status: CaseStatus.CASE_STATUS_RECEIVED, reportOnTimeBy: pbDate('2026-04-11'), reportBy: pbDate('2026-05-11'), serviceMonths: 24, name: '王小兵' });
    expect(c!.nationalIdMasked).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
    expect(c!.allowedModes).toEqual([PlacementMode.PLACEMENT_MODE_SELF_EMPLOYMENT, PlacementMode.PLACEMENT_MODE_ASSIGNED_WORK]); // 2nd-class merit
    const id = c!.caseId;

    const reported = await client.recordReport({ caseId: id, reportedOn: pbDate(TODAY), lateReason: '' }, clerk);
    expect(reported.case).toMatchObject({ status: CaseStatus.CASE_STATUS_REPORTED, reporting: Reporting.REPORTING_ON_TIME });
    await client.choosePlacement({ caseId: id, mode: PlacementMode.PLACEMENT_MODE_SELF_EMPLOYMENT }, clerk);
    const p = await client.proposeSubsidy({ caseId: id, centralRetirementPayment: { fen: 980_000n }, note: '' }, clerk);
    // 24 months = 4 half-years × 15,000 / 2 × 1.10 (the highest honour only) = 33,000 yuan.
    expect(p.case!.subsidy).toMatchObject({ halfYears: 4, honourBp: 1000, amount: { fen: 3_300_000n }, centralRetirementPayment: { fen: 980_000n }, status: 'PENDING', proposedBy: 'officer-zhao' });
    expect((await failure(client.closeCase({ caseId: id, note: 'done' }, clerk))).reason).toBe('ILLEGAL_TRANSITION');
    const granted = await client.decideSubsidy({ caseId: id, approve: true, note: '' }, approver);
    expect(granted.case).toMatchObject({ status: CaseStatus.CASE_STATUS_SUBSIDY_GRANTED, subsidy: { status: 'APPROVED', approvedBy: 'chief-sun' } });
    const closed = await client.closeCase({ caseId: id, note: 'paid to the veteran’s account' }, clerk);
    expect(closed.case).toMatchObject({ status: CaseStatus.CASE_STATUS_CLOSED, version: 6n });

    const types = ['CaseReceived', 'CaseReported', 'PlacementChosen', 'SubsidyGranted', 'CaseClosed'].map((t) => `youfu.resettlement.v1.${t}`);
    await eventually(async () => (types.every((t) => seen.some((e) => e.key === id && e.type === t)) ? true : undefined), 30_000, 'the steps on Kafka');
    expect(seen.filter((e) => e.key === id).map((e) => e.type)).toEqual(types);
    // One open case per ID number: once the first is closed, a new one may open.
    const again = await client.receiveCase(first, clerk);
    expect(again.case!.caseId).not.toBe(id);
  });

  it('assigned work: the referral letter, then onboarding, then closing', async () => {
    const { case: c } = await client.receiveCase(request({ rankType: RankType.RANK_TYPE_NCO, ncoLevel: 4, enlistedOn: pbDate('2013-09-01'), martyrChild: false }), clerk);
    const id = c!.caseId;
    await client.recordReport({ caseId: id, reportedOn: pbDate('2026-03-15'), lateReason: '' }, clerk);
    await client.choosePlacement({ caseId: id, mode: PlacementMode.PLACEMENT_MODE_ASSIGNED_WORK }, clerk);
    expect((await failure(client.proposeSubsidy({ caseId: id, centralRetirementPayment: { fen: 0n }, note: '' }, clerk))).reason).toBe('NOT_SELF_EMPLOYMENT');
    await client.recordJobOffer({ caseId: id, employer: '广州市某区城市管理局', letterNumber: '穗退安〔2026〕12号', referredOn: pbDate('2026-03-18') }, clerk);
    const on = await client.recordOnboarding({ caseId: id, onboardedOn: pbDate('2026-03-20') }, clerk);
    expect(on.case).toMatchObject({ status: CaseStatus.CASE_STATUS_ONBOARDED, jobOffer: { employer: '广州市某区城市管理局' } });
    expect((await client.closeCase({ caseId: id, note: 'taken on' }, clerk)).case!.status).toBe(CaseStatus.CASE_STATUS_CLOSED);
  });

  it('bad input gets a clear status and writes nothing', async () => {
    const before = await client.countCases({ district: '' }, clerk);
    const g = gen({ birthDate: '2002-01-02', gender: 'MALE' });
    const bad = [
      [request({ nationalId: g.id.slice(0, 17) + (g.id[17] === '0' ? '1' : '0') }), status.INVALID_ARGUMENT, 'nationalId'], // check character
      [request({ nationalId: g.id, dischargedOn: pbDate('2024-01-01') }), status.INVALID_ARGUMENT, 'dischargedOn'], // before the enlistment
      [request({ nationalId: g.id, dischargeApprovedOn: pbDate('2026-03-01') }), status.INVALID_ARGUMENT, 'dischargeApprovedOn'],
      [request({ nationalId: g.id, rankType: RankType.RANK_TYPE_NCO, ncoLevel: 0 }), status.INVALID_ARGUMENT, 'ncoLevel'],
      [request({ nationalId: g.id, district: '44010' }), status.INVALID_ARGUMENT, 'district'],
      [request({ nationalId: g.id, disability: { grade: 11, cause: DisabilityCause.DISABILITY_CAUSE_WAR, assessedOn: pbDate('2025-01-01'), mentalDisorder: false } }), status.INVALID_ARGUMENT, 'disability.grade'],
    ] as const;
    for (const [req, code, field] of bad) {
      const f = await failure(client.receiveCase(req, clerk));
      expect(f.code, field).toBe(code);
      expect(f.fields, field).toContain(field);
    }
    const officer = await failure(client.receiveCase(request({ nationalId: g.id, rankType: RankType.RANK_TYPE_OFFICER }), clerk));
    expect([officer.code, officer.reason]).toEqual([status.FAILED_PRECONDITION, 'OFFICER_NOT_SUPPORTED']);
    expect((await failure(client.receiveCase(request({ nationalId: g.id }), approver))).code).toBe(status.PERMISSION_DENIED);

    const { case: c } = await client.receiveCase(request({ nationalId: g.id }), clerk);
    const dup = await failure(client.receiveCase(request({ nationalId: g.id }), clerk2));
    expect([dup.code, dup.reason]).toEqual([status.ALREADY_EXISTS, 'OPEN_CASE_EXISTS']);
    const id = c!.caseId;
    // A conscript may not take monthly retirement pay; reporting twice; a subsidy before choosing.
    expect((await failure(client.choosePlacement({ caseId: id, mode: PlacementMode.PLACEMENT_MODE_SELF_EMPLOYMENT }, clerk))).reason).toBe('ILLEGAL_TRANSITION');
    expect((await failure(client.recordReport({ caseId: id, reportedOn: pbDate('2026-03-01'), lateReason: '' }, clerk))).fields).toContain('reportedOn');
    await client.recordReport({ caseId: id, reportedOn: pbDate(TODAY), lateReason: '' }, clerk);
    expect((await failure(client.recordReport({ caseId: id, reportedOn: pbDate(TODAY), lateReason: '' }, clerk))).reason).toBe('ILLEGAL_TRANSITION');
    const mode = await failure(client.choosePlacement({ caseId: id, mode: PlacementMode.PLACEMENT_MODE_MONTHLY_RETIREMENT_PAY }, clerk));
    expect([mode.code, mode.reason]).toEqual([status.FAILED_PRECONDITION, 'MODE_NOT_ALLOWED']);
    expect((await failure(client.proposeSubsidy({ caseId: id, centralRetirementPayment: { fen: 0n }, note: '' }, clerk))).reason).toBe('ILLEGAL_TRANSITION');
    expect((await failure(client.getCase({ caseId: 'not-a-case' }, clerk))).fields).toContain('caseId');
    expect((await failure(client.getCase({ caseId: '00000000-0000-4000-8000-000000000000' }, clerk))).code).toBe(status.NOT_FOUND);

    const after = await client.countCases({ district: '' }, clerk);
    const total = (r: typeof before) => r.counts.reduce((s, x) => s + x.cases, 0n);
    expect(total(after)).toBe(total(before) + 1n); // only the one good case
    const steps = await svc.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM case_steps WHERE case_id = $1', [id]);
    expect(steps.rows[0]!.n).toBe(2); // received, reported
  });

  it('a case past day 60 without a report or a justified reason lapses by itself (its workflow)', async () => {
    const approved = addDays(TODAY, -70);
    const { case: c } = await client.receiveCase(request({ dischargedOn: pbDate(addDays(approved, -2)), dischargeApprovedOn: pbDate(approved) }), clerk);
    const id = c!.caseId;
    const lapsed = await eventually(async () => {
      const r = (await client.getCase({ caseId: id }, clerk)).case!;
      return r.status === CaseStatus.CASE_STATUS_LAPSED ? r : undefined;
    }, 30_000, 'the lapse');
    expect(lapsed.reportBy).toEqual(pbDate(addDays(approved, 60)));
    await eventually(async () => (seen.some((e) => e.key === id && e.type === 'youfu.resettlement.v1.CaseLapsed') ? true : undefined), 30_000, 'CaseLapsed on Kafka');
    const steps = await svc.pool.query<{ step: string; actor: string }>('SELECT step, actor FROM case_steps WHERE case_id = $1 ORDER BY seq', [id]);
    expect(steps.rows).toEqual([{ step: 'RECEIVE', actor: 'officer-zhao' }, { step: 'LAPSE', actor: 'system' }]);
    expect((await failure(client.recordReport({ caseId: id, reportedOn: pbDate(TODAY), lateReason: 'in hospital' }, clerk))).reason).toBe('ILLEGAL_TRANSITION');

    // Reinstated only with a recorded justified reason: a clerk proposes, an approver decides.
    expect((await failure(client.decideReinstatement({ caseId: id, approve: true, note: '' }, approver))).reason).toBe('NO_REINSTATEMENT_PROPOSED');
    await client.proposeReinstatement({ caseId: id, reason: 'in hospital until 2026-03-18 (certificate 2026-117)' }, clerk);
    expect((await failure(client.decideReinstatement({ caseId: id, approve: true, note: '' }, clerk))).code).toBe(status.PERMISSION_DENIED);
    const back = await client.decideReinstatement({ caseId: id, approve: true, note: 'certificate seen' }, approver);
    expect(back.case).toMatchObject({ status: CaseStatus.CASE_STATUS_RECEIVED, lateReason: 'in hospital until 2026-03-18 (certificate 2026-117)', reinstatement: { status: 'APPROVED', decidedBy: 'chief-sun' } });
    await eventually(async () => (seen.some((e) => e.key === id && e.type === 'youfu.resettlement.v1.CaseReinstated') ? true : undefined), 30_000, 'CaseReinstated on Kafka');
    const late = await client.recordReport({ caseId: id, reportedOn: pbDate(TODAY), lateReason: '' }, clerk);
    expect(late.case).toMatchObject({ status: CaseStatus.CASE_STATUS_REPORTED, reporting: Reporting.REPORTING_LATE_JUSTIFIED });

  });

  it('support records: training, a loan interest subsidy, and resumed study for college-student veterans only', async () => {
    const { case: c } = await client.receiveCase(request({ collegeStudent: true }), clerk);
    const id = c!.caseId;
    expect((await failure(client.recordSupport({ caseId: id, kind: SupportKind.SUPPORT_KIND_TRAINING, startedOn: pbDate(TODAY), provider: '培训中心', note: '' }, clerk))).reason).toBe('ILLEGAL_TRANSITION'); // not reported yet
    await client.recordReport({ caseId: id, reportedOn: pbDate(TODAY), lateReason: '' }, clerk);
    await client.recordSupport({ caseId: id, kind: SupportKind.SUPPORT_KIND_TRAINING, startedOn: pbDate(TODAY), provider: '广州市退役军人职业技能培训中心', note: '电工' }, clerk);
    expect((await failure(client.recordSupport({ caseId: id, kind: SupportKind.SUPPORT_KIND_LOAN_INTEREST_SUBSIDY, startedOn: pbDate(TODAY), provider: '银行', note: '' }, clerk))).fields).toContain('amount');
    await client.recordSupport({ caseId: id, kind: SupportKind.SUPPORT_KIND_LOAN_INTEREST_SUBSIDY, startedOn: pbDate(TODAY), provider: '广州农商银行', amount: { fen: 120_000n }, note: '' }, clerk);
    const study = await client.recordSupport({ caseId: id, kind: SupportKind.SUPPORT_KIND_RESUMED_STUDY, startedOn: pbDate(TODAY), provider: '华南理工大学', note: '' }, clerk);
    expect(study.case!.support.map((x) => [x.kind, x.provider, x.amount?.fen])).toEqual([
      [SupportKind.SUPPORT_KIND_TRAINING, '广州市退役军人职业技能培训中心', 0n],
      [SupportKind.SUPPORT_KIND_LOAN_INTEREST_SUBSIDY, '广州农商银行', 120_000n],
      [SupportKind.SUPPORT_KIND_RESUMED_STUDY, '华南理工大学', 0n],
    ]);
    await eventually(async () => (seen.filter((e) => e.key === id && e.type === 'youfu.resettlement.v1.SupportRecorded').length === 3 ? true : undefined), 30_000, 'SupportRecorded ×3');

    const { case: other } = await client.receiveCase(request({ collegeStudent: false }), clerk);
    await client.recordReport({ caseId: other!.caseId, reportedOn: pbDate(TODAY), lateReason: '' }, clerk);
    const f = await failure(client.recordSupport({ caseId: other!.caseId, kind: SupportKind.SUPPORT_KIND_RESUMED_STUDY, startedOn: pbDate(TODAY), provider: '大学', note: '' }, clerk));
    expect([f.code, f.reason]).toEqual([status.FAILED_PRECONDITION, 'NOT_A_COLLEGE_STUDENT']);
    expect((await client.getCase({ caseId: other!.caseId }, clerk)).case!.support).toEqual([]);
  });

  it('lists and counts by status, district and mode', async () => {
    const closed = await client.listCases({ status: CaseStatus.CASE_STATUS_CLOSED, district: '440106', mode: 0, overdue: false, page: { pageSize: 1, pageToken: '' } }, clerk);
    expect(closed.cases).toHaveLength(1);
    const next = await client.listCases({ status: CaseStatus.CASE_STATUS_CLOSED, district: '440106', mode: 0, overdue: false, page: { pageSize: 1, pageToken: closed.page!.nextPageToken } }, clerk);
    expect(next.cases).toHaveLength(1);
    expect(next.cases[0]!.caseId).not.toBe(closed.cases[0]!.caseId);
    expect(next.page!.nextPageToken).toBe('');
    const counts = await client.countCases({ district: '440106' }, clerk);
    expect(counts.counts.find((x) => x.mode === PlacementMode.PLACEMENT_MODE_SELF_EMPLOYMENT && x.status === CaseStatus.CASE_STATUS_CLOSED)?.cases).toBe(1n);
    expect(counts.counts.find((x) => x.mode === PlacementMode.PLACEMENT_MODE_ASSIGNED_WORK && x.status === CaseStatus.CASE_STATUS_CLOSED)?.cases).toBe(1n);
  });
});
