import * as grpc from '@grpc/grpc-js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { HospitalStatus, MedicalSettlementServiceService, VisitType } from '../../protos/gen/youfu/settlement/v1/settlement';
import { createUnaryClient } from '../../services/lib/grpc';
import { startService } from '../../services/lib/runtime';
import { settlementModule } from '../../services/settlement/index';
import { disabled, idGenerator, movableClock, pbDate, survivor, type GeneratedId } from '../persons/support';
import type { Consumer } from 'kafkajs';
import { SettlementReversed, SettlementSettled } from '../../protos/gen/youfu/settlement/v1/events';
import { createKafka } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { eventually, testConfig, token, uniqueId } from '../support/env';
import { failure } from '../support/grpc';
import { bill, designate, fen, hospitalToken, registerPerson, settlementEnv, startSettlementStack, type SettlementStack } from './support';

const gen = idGenerator(9001);

describe('one-stop medical settlement through the gRPC API', () => {
  const { clock } = movableClock('2026-06-20');
  let s: SettlementStack;
  let h1: string; // a token of hospital H1
  let h2: string;
  const H1 = `H${uniqueId('a').replace(/\W/g, '').slice(-10)}`;
  const H2 = `H${uniqueId('b').replace(/\W/g, '').slice(-10)}`;
  const people: Record<'survivor' | 'grade3' | 'grade8' | 'both' | 'capped' | 'reversal', GeneratedId> = {
    survivor: gen(),
    grade3: gen(),
    grade8: gen(),
    both: gen(),
    capped: gen(),
    reversal: gen(),
  };
  const since = { effectiveFrom: pbDate('2021-01-10') };

  const count = async (sql: string, args: unknown[] = []) => (await s.settlement.pool.query<{ n: number }>(sql, args)).rows[0]!.n;
  const settlementsOf = (billNo: string) => count('SELECT count(*)::int AS n FROM settlements WHERE bill_no = $1', [billNo]);
  const capUsed = async (personId: string) =>
    BigInt((await s.settlement.pool.query<{ used_fen: string }>('SELECT used_fen FROM caps WHERE person_id = $1', [personId])).rows[0]?.used_fen ?? 0);

  beforeAll(async () => {
    s = await startSettlementStack('settlement', clock);
    h1 = await designate(s, H1);
    h2 = await designate(s, H2);
    await registerPerson(s, people.survivor, { identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), ...since }] });
    await registerPerson(s, people.grade3, { identities: [{ attributes: disabled(3), ...since }] });
    await registerPerson(s, people.grade8, { identities: [{ attributes: disabled(8), ...since }] });
    await registerPerson(s, people.both, { identities: [{ attributes: survivor(Category.CATEGORY_WAR_OR_TEST_VETERAN), ...since }, { attributes: disabled(2), ...since }] });
    await registerPerson(s, people.capped, { identities: [{ attributes: survivor(Category.CATEGORY_DUTY_DEATH_SURVIVOR), ...since }] });
    await registerPerson(s, people.reversal, { identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), ...since }] });
  }, 120_000);
  afterAll(async () => s?.stop());

  it('settles a bill at the default ratio within the cap, and answers a re-send with the first answer', async () => {
    const b = bill(H1, uniqueId('bill'), people.survivor);
    const first = await s.client.settle(b, h1);
    expect(first.result).toMatchObject({
      funds: [{ fundCode: '610200', amount: fen(320_000), limitLeft: fen(2_680_000) }],
      patientPays: fen(180_000),
      capUsed: fen(320_000),
      capLeft: fen(2_680_000),
      ruleSetVersion: 'default',
      capYear: 2026,
      ratioBp: 8000,
    });
    expect(first.result!.funds[0]!.trace).toContain('× 80% = 3200.00');
    expect(first.period).toBe('2026-06');
    expect(await s.client.settle(b, h1)).toEqual(first);
    expect(await settlementsOf(b.bill.billNo)).toBe(1);
  });

  it('pays grades 1–6 from 350100 without a cap, grade 8 from 610200, and the better identity of several', async () => {
    const g3 = await s.client.settle(bill(H1, uniqueId('g3'), people.grade3), h1);
    expect(g3.result).toMatchObject({ funds: [{ fundCode: '350100', amount: fen(400_000) }], patientPays: fen(100_000), capUsed: fen(0), ratioBp: 10_000 });
    expect(g3.result!.capLeft).toBeUndefined();
    const g8 = await s.client.settle(bill(H1, uniqueId('g8'), people.grade8, { visitType: VisitType.VISIT_TYPE_OUTPATIENT }), h1);
    expect(g8.result).toMatchObject({ funds: [{ fundCode: '610200', amount: fen(240_000) }], ratioBp: 6000 });
    const both = await s.client.settle(bill(H1, uniqueId('both'), people.both), h1);
    expect(both.result).toMatchObject({ funds: [{ fundCode: '350100', amount: fen(400_000) }] });
  });

  it('quotes with PreSettle without reserving anything', async () => {
    const q = await s.client.preSettle(bill(H1, uniqueId('quote'), people.grade8), h1);
    expect(q.result).toMatchObject({ funds: [{ fundCode: '610200', amount: fen(320_000) }] });
    expect(await count("SELECT count(*)::int AS n FROM settlement_requests WHERE bill_no LIKE 'quote%'")).toBe(0);
    // What it told the hospital about the patient is audited like CheckEligibility.
    expect(await count("SELECT count(*)::int AS n FROM eligibility_lookups WHERE rpc = 'PreSettle' AND hospital = $1 AND answer = 'ELIGIBLE'", [H1])).toBe(1);
  });

  it('gives an attempt up when persons cannot be reached, freeing the bill number; and frees one left pending by a crash', async () => {
    // A second instance of the service (same database) whose persons address answers nothing.
    const cut = await startService(settlementModule, { env: settlementEnv(s.persons, { YOUFU_PERSONS_ADDR: '127.0.0.1:9', YOUFU_STATEMENT_CRON: '' }), clock });
    const other = createUnaryClient(MedicalSettlementServiceService, `127.0.0.1:${cut.grpcPort}`);
    try {
      const b = bill(H1, uniqueId('down'), people.grade8);
      expect(await failure(other.settle(b, h1, { deadlineMs: 90_000 }))).toMatchObject({ code: grpc.status.UNAVAILABLE, reason: 'SETTLEMENT_FAILED' });
      expect(await count("SELECT count(*)::int AS n FROM settlement_requests WHERE bill_no = $1 AND status = 'REJECTED' AND reject_reason = 'FAILED'", [b.bill.billNo])).toBe(1);
      expect((await s.client.settle(b, h1)).result!.funds[0]!.amount).toEqual(fen(320_000)); // sent again: settled
    } finally {
      other.close();
      await cut.stop();
    }
    // An attempt stored three minutes ago whose workflow never started does not hold its number against a corrected bill.
    const billNo = uniqueId('crashed');
    await s.settlement.pool.query(
      `INSERT INTO settlement_requests (id, hospital, bill_no, content_hash, bill, id_enc, id_masked, name_enc, status, received_at)
       VALUES (gen_random_uuid(), $1, $2, 'x', '{}'::jsonb, 'x', 'x', 'x', 'PENDING', now() - interval '3 minutes')`,
      [H1, billNo],
    );
    expect((await s.client.settle(bill(H1, billNo, people.grade8), h1)).settlementId).toBeTruthy();
    expect(await count("SELECT count(*)::int AS n FROM settlement_requests WHERE bill_no = $1 AND reject_reason = 'FAILED'", [billNo])).toBe(1);
  }, 120_000);

  it('answers 100 concurrent copies of one bill identically, with one payment', async () => {
    const b = bill(H1, uniqueId('copies'), people.grade8);
    const answers = await Promise.all(Array.from({ length: 100 }, () => s.client.settle(b, h1, { deadlineMs: 60_000 })));
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(await settlementsOf(b.bill.billNo)).toBe(1);
  });

  it('never exceeds the annual cap with 50 concurrent bills of one person; the sum paid is the cap used', async () => {
    const personBills = Array.from({ length: 50 }, (_, i) => bill(H1, uniqueId(`cap${i}`), people.capped));
    const answers = await Promise.all(personBills.map((b) => s.client.settle(b, h1, { deadlineMs: 90_000 })));
    const paid = answers.reduce((sum, a) => sum + a.result!.funds[0]!.amount!.fen, 0n);
    expect(paid).toBe(3_000_000n); // 50 × 3,200 yuan asked, 30,000 yuan cap
    const person = (await s.settlement.pool.query<{ person_id: string }>('SELECT DISTINCT person_id FROM settlements WHERE bill_no = $1', [personBills[0]!.bill.billNo])).rows[0]!.person_id;
    expect(await capUsed(person)).toBe(3_000_000n);
    expect(answers.filter((a) => a.result!.funds[0]!.amount!.fen === 0n).length).toBeGreaterThan(0); // a spent cap pays 0, it does not refuse
    for (const a of answers) expect(a.result!.patientPays!.fen).toBe(500_000n - a.result!.funds[0]!.amount!.fen);
  });

  it('reverses a bill once, releasing its cap; a reversed bill cannot be settled again; another hospital may not reverse it', async () => {
    const b = bill(H1, uniqueId('rev'), people.reversal);
    const settled = await s.client.settle(b, h1);
    const person = (await s.settlement.pool.query<{ person_id: string }>('SELECT person_id FROM settlements WHERE id = $1', [settled.settlementId])).rows[0]!.person_id;
    expect(await capUsed(person)).toBe(320_000n);
    expect(await failure(s.client.reverse({ hospitalCode: H1, billNo: b.bill.billNo, reason: 'cancelled' }, h2))).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      reason: 'HOSPITAL_MISMATCH',
    });
    const r = await s.client.reverse({ hospitalCode: H1, billNo: b.bill.billNo, reason: 'cancelled bill' }, h1);
    expect(r).toMatchObject({ settlementId: settled.settlementId, released: fen(320_000), period: '2026-06' });
    expect(await capUsed(person)).toBe(0n);
    expect(await s.client.reverse({ hospitalCode: H1, billNo: b.bill.billNo, reason: 'again' }, h1)).toEqual(r);
    expect(await capUsed(person)).toBe(0n);
    expect(await failure(s.client.settle(b, h1))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'BILL_REVERSED' });
    expect(await failure(s.client.reverse({ hospitalCode: H1, billNo: 'nope', reason: 'x' }, h1))).toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('answers a reversal of a bill still being settled with ABORTED, to be retried', async () => {
    const billNo = uniqueId('inflight');
    await s.settlement.pool.query(
      `INSERT INTO settlement_requests (id, hospital, bill_no, content_hash, bill, id_enc, id_masked, name_enc, status)
       VALUES (gen_random_uuid(), $1, $2, 'x', '{}'::jsonb, 'x', 'x', 'x', 'PENDING')`,
      [H1, billNo],
    );
    expect(await failure(s.client.reverse({ hospitalCode: H1, billNo, reason: 'cancelled' }, h1))).toMatchObject({ code: grpc.status.ABORTED, reason: 'SETTLEMENT_IN_FLIGHT' });
  });

  it('publishes SettlementSettled and SettlementReversed with the person id and the masked ID only', async () => {
    const kafka = createKafka(testConfig.YOUFU_KAFKA_BROKERS, 'settlement-test', createLogger('test', 'error'));
    const consumer: Consumer = kafka.consumer({ groupId: `${s.persons.prefix}test-reader` });
    const seen: { type: string; key: string; value: Buffer }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: `${s.persons.prefix}youfu.settlement.v1`, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push({ type: String(message.headers?.ce_type), key: String(message.key), value: message.value! }) });
      const b = bill(H1, uniqueId('ev'), people.grade8);
      const settled = await s.client.settle(b, h1);
      await s.client.reverse({ hospitalCode: H1, billNo: b.bill.billNo, reason: 'cancelled' }, h1);
      const event = await eventually(async () => {
        const e = seen.find((x) => x.type === 'youfu.settlement.v1.SettlementSettled' && x.key === settled.settlementId);
        return e && SettlementSettled.decode(e.value);
      }, 30_000, 'SettlementSettled');
      expect(event).toMatchObject({ settlementId: settled.settlementId, hospitalCode: H1, billNo: b.bill.billNo, fundCode: '610200', amount: fen(320_000), period: '2026-06' });
      expect(event.nationalIdMasked).toBe(`${people.grade8.id.slice(0, 6)}********${people.grade8.id.slice(14)}`);
      const reversed = await eventually(async () => {
        const e = seen.find((x) => x.type === 'youfu.settlement.v1.SettlementReversed' && x.key === settled.settlementId);
        return e && SettlementReversed.decode(e.value);
      }, 30_000, 'SettlementReversed');
      expect(reversed).toMatchObject({ released: fen(320_000), personId: event.personId });
      for (const e of seen) {
        for (const g of Object.values(people)) expect(e.value.includes(Buffer.from(g.id))).toBe(false);
        expect(e.value.includes(Buffer.from('张三'))).toBe(false);
      }
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses a wrong name, an unregistered patient and a bill number reused with other content', async () => {
    const billNo = uniqueId('name');
    expect(await failure(s.client.settle(bill(H1, billNo, people.grade8, { name: '李四' }), h1))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'NAME_MISMATCH' });
    // The rejected attempt is kept for audit but does not hold the bill number.
    const ok = await s.client.settle(bill(H1, billNo, people.grade8), h1);
    expect(ok.settlementId).toBeTruthy();
    expect(await count("SELECT count(*)::int AS n FROM settlement_requests WHERE bill_no = $1 AND status = 'REJECTED' AND reject_reason = 'NAME_MISMATCH'", [billNo])).toBe(1);
    expect(await failure(s.client.settle(bill(H1, uniqueId('unreg'), gen()), h1))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'NOT_REGISTERED' });
    expect(await failure(s.client.settle(bill(H1, billNo, people.grade8, { totalCost: fen(1_000_001) }), h1))).toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
      reason: 'BILL_CONFLICT',
    });
  });

  it('refuses inconsistent bills with the field named, writing nothing', async () => {
    const before = await count('SELECT count(*)::int AS n FROM settlement_requests');
    const g = people.grade8;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ inScopeCost: fen(1_000_001) }, 'AMOUNTS_INCONSISTENT', 'bill.inScopeCost'],
      [{ basicInsurance: fen(900_000), medicalAssistance: fen(200_000) }, 'AMOUNTS_INCONSISTENT', 'bill.basicInsurance'],
      [{ items: [{ itemCode: 'A', itemName: 'bed', amount: fen(999_999) }] }, 'AMOUNTS_INCONSISTENT', 'bill.items'],
      [{ otherFunds: fen(-1) }, 'INVALID_FIELD', 'bill.otherFunds'],
      [{ admissionDate: pbDate('2026-06-11') }, 'DATES_INCONSISTENT', 'bill.admissionDate'],
      [{ dischargeDate: pbDate('2026-06-21') }, 'DATES_INCONSISTENT', 'bill.dischargeDate'],
      [{ nationalId: `${g.id.slice(0, 17)}${g.id[17] === '0' ? '1' : '0'}` }, 'INVALID_CHECK_CHARACTER', 'bill.nationalId'],
      [{ visitType: 0 }, 'INVALID_FIELD', 'bill.visitType'],
    ];
    for (const [o, reason, field] of cases) {
      const f = await failure(s.client.settle(bill(H1, uniqueId('bad'), g, o), h1));
      expect({ ...f, message: '' }).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason, fields: [field] });
    }
    // Payers above the in-scope cost: 0 from us, not an error.
    const over = await s.client.settle(bill(H1, uniqueId('over'), g, { basicInsurance: fen(950_000) }), h1);
    expect(over.result).toMatchObject({ funds: [{ amount: fen(0) }], patientPays: fen(50_000) });
    expect(await count('SELECT count(*)::int AS n FROM settlement_requests')).toBe(before + 1);
  });

  it('admits only designated hospitals with registered, unrevoked tokens, each for its own bills', async () => {
    const b = bill(H1, uniqueId('auth'), people.grade8);
    expect(await failure(s.client.settle(b))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_MISSING' });
    expect(await failure(s.client.settle(b, await token('hospital', 'his-x', { hospital: H1 })))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_REVOKED' });
    expect(await failure(s.client.settle(b, h2))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'HOSPITAL_MISMATCH' });
    expect(await failure(s.client.settle(b, await token('clerk')))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'ROLE_NOT_ALLOWED' });
    expect(await failure(s.client.settle(bill('HNOWHERE', uniqueId('x'), people.grade8), await token('hospital', 'his-n', { hospital: 'HNOWHERE' })))).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      reason: 'HOSPITAL_NOT_DESIGNATED',
    });

    // Revoking one token refuses it at once; the hospital's other tokens still work.
    const spare = await hospitalToken(s, H1);
    const approver = await token('approver', 'approver-wang');
    const hospital = (await s.client.getHospital({ hospitalCode: H1 }, approver)).hospital!;
    const cred = hospital.credentials.find((c) => c.value === decodeJwt(spare).jti)!;
    await s.client.revokeCredential({ credentialId: cred.credentialId, note: 'leaked' }, await token('clerk', 'clerk-li'));
    expect(await failure(s.client.settle(b, spare))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_REVOKED' });
    expect((await s.client.settle(b, h1)).settlementId).toBeTruthy();

    // A suspended hospital is refused.
    const H3 = `H${uniqueId('c').replace(/\W/g, '').slice(-10)}`;
    const h3 = await designate(s, H3);
    const clerk = await token('clerk', 'clerk-li');
    const p = await s.client.proposeHospital({ hospitalCode: H3, name: 'suspended', status: HospitalStatus.HOSPITAL_STATUS_SUSPENDED, note: 'audit finding' }, clerk);
    expect(await failure(s.client.decideProposal({ proposalId: p.proposal!.proposalId, approve: true, note: '', expectedVersion: 0n }, await token('approver', 'clerk-li')))).toMatchObject({
      reason: 'OWN_PROPOSAL',
    });
    await s.client.decideProposal({ proposalId: p.proposal!.proposalId, approve: true, note: '', expectedVersion: 0n }, approver);
    expect(await failure(s.client.settle(bill(H3, uniqueId('s'), people.grade8), h3))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'HOSPITAL_NOT_DESIGNATED' });
  });

  it('applies an approved rule set from its date, under maker–checker', async () => {
    const clerk = await token('clerk', 'clerk-li');
    const approver = await token('approver', 'approver-wang');
    const p = await s.client.proposeRuleSet(
      {
        category: Category.CATEGORY_DISABLED_SERVICEMAN,
        disabilityGrade: 8,
        visitType: VisitType.VISIT_TYPE_INPATIENT,
        effectiveFrom: pbDate('2026-06-05'),
        fundCode: '610200',
        ratioBp: 9000,
        annualCap: fen(5_000_000),
        note: 'bureau notice 2026-7',
      },
      clerk,
    );
    const before = await s.client.settle(bill(H1, uniqueId('r0'), people.grade8), h1);
    expect(before.result!.ratioBp).toBe(8000);
    await s.client.decideProposal({ proposalId: p.proposal!.proposalId, approve: true, note: 'ok', expectedVersion: 1n }, approver);
    const rule = await s.client.getRuleSet({ category: Category.CATEGORY_DISABLED_SERVICEMAN, disabilityGrade: 8, visitType: VisitType.VISIT_TYPE_INPATIENT, date: pbDate('2026-06-10') }, clerk);
    expect(rule.ruleSet).toMatchObject({ ratioBp: 9000, annualCap: fen(5_000_000), version: p.proposal!.proposalId });
    const after = await s.client.settle(bill(H1, uniqueId('r1'), people.grade8), h1);
    expect(after.result).toMatchObject({ ratioBp: 9000, ruleSetVersion: p.proposal!.proposalId, funds: [{ amount: fen(360_000) }] });
    // Discharged before the rule's date: the default.
    const early = await s.client.settle(bill(H1, uniqueId('r2'), people.grade8, { admissionDate: pbDate('2026-06-01'), dischargeDate: pbDate('2026-06-04') }), h1);
    expect(early.result!.ratioBp).toBe(8000);
  });

  it('answers the admission desk’s eligibility check and audits it', async () => {
    const yes = await s.client.checkEligibility({ hospitalCode: H1, nationalId: people.grade3.id, name: '张三', date: pbDate('2026-06-20') }, h1);
    expect(yes).toMatchObject({ eligible: true, fundCode: '350100', inpatientRatioBp: 10_000, outpatientRatioBp: 10_000 });
    expect(yes.capLeft).toBeUndefined();
    const no = await s.client.checkEligibility({ hospitalCode: H1, nationalId: people.grade3.id, name: '王五', date: pbDate('2026-06-20') }, h1);
    expect(no).toMatchObject({ eligible: false, reason: 'NAME_MISMATCH' });
    const audited = await s.settlement.pool.query('SELECT hospital, id_masked, answer FROM eligibility_lookups WHERE hospital = $1 ORDER BY id', [H1]);
    expect(audited.rows.slice(-2)).toEqual([
      { hospital: H1, id_masked: `${people.grade3.id.slice(0, 6)}********${people.grade3.id.slice(14)}`, answer: 'ELIGIBLE' },
      { hospital: H1, id_masked: expect.stringMatching(/^\d{6}\*{8}/), answer: 'NAME_MISMATCH' },
    ]);
  });

  it('reconciles totals and details with the hospital (3201 / 3202)', async () => {
    const range = { hospitalCode: H1, fromDate: pbDate('2026-06-01'), toDate: pbDate('2026-06-30'), expectedSettledCount: 0n, expectedReversedCount: 0n };
    const totals = await s.client.reconcileTotals(range, h1);
    const lines = [];
    let pageToken = '';
    do {
      const page = await s.client.reconcileDetails({ ...range, page: { pageSize: 7, pageToken } }, h1);
      lines.push(...page.lines);
      pageToken = page.page!.nextPageToken;
    } while (pageToken);
    expect(BigInt(lines.length)).toBe(totals.settledCount);
    expect(lines.reduce((sum, l) => sum + l.amount!.fen, 0n)).toBe(totals.settledAmount!.fen);
    expect(new Set(lines.map((l) => l.settlementId)).size).toBe(lines.length);
    expect(lines.filter((l) => l.reversedAt).length).toBe(Number(totals.reversed.reduce((n, t) => n + t.count, 0n)));
    const reversedCount = totals.reversed.reduce((n, t) => n + t.count, 0n);
    const reversedAmount = { fen: totals.reversed.reduce((n, t) => n + t.amount!.fen, 0n) };
    const theirs = { ...range, expectedSettledCount: totals.settledCount, expectedSettledAmount: totals.settledAmount, expectedReversedCount: reversedCount, expectedReversedAmount: reversedAmount };
    expect((await s.client.reconcileTotals(theirs, h1)).consistent).toBe(true);
    expect((await s.client.reconcileTotals({ ...theirs, expectedSettledCount: totals.settledCount + 1n }, h1)).consistent).toBe(false);
    expect((await s.client.reconcileTotals({ ...theirs, expectedReversedCount: reversedCount + 1n }, h1)).consistent).toBe(false);
    // Another hospital's figures are not H2's to see; a day with nothing on both sides is consistent.
    expect(await failure(s.client.reconcileTotals(range, h2))).toMatchObject({ reason: 'HOSPITAL_MISMATCH' });
    expect(await s.client.reconcileTotals({ ...range, hospitalCode: H2 }, h2)).toMatchObject({ settledCount: 0n, consistent: true });
  });
});
