/**
 * The settlement service's work with its data and with persons: hospitals and their credentials,
 * eligibility, rule sets, the cap-locking commit, reversals and reconciliation. The handlers
 * (handlers.ts) and the workflow's activities (activities.ts) both call these; the rules
 * themselves are pure in domain/rules.ts.
 */
import { randomUUID } from 'node:crypto';
import type { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import type { Caller } from '../lib/auth';
import { tokenRevoked } from '../lib/auth';
import { parts, type CivilDate, type Clock } from '../lib/civil';
import type { ServiceClient } from '../lib/clients';
import { settlementEvents } from '../lib/contracts';
import { toJson, withTx, type Pool, type Queryable, type Tx } from '../lib/db';
import { entitlementEnums } from '../lib/entitlement';
import { aborted, failedPrecondition, notFound, permissionDenied } from '../lib/errors';
import { enqueue } from '../lib/outbox';
import type { PiiVault } from '../lib/pii';
import { maskNationalId } from '../lib/pii';
import { toProtoDate } from '../lib/proto';
import { settingVersionAt } from '../lib/settings';
import { applyCap, chooseRule, defaultRule, REJECTIONS, type Rejection, ruleKeys, type BillAmounts, type Fund, type Held, type RuleSet, type Settled, type Visit } from './domain/rules';
import { ruleValue, storedBillSchema, type StoredBill } from './schemas';
import { openPeriod } from './statements';

export interface CoreDeps {
  pool: Pool;
  pii: PiiVault;
  clock: Clock;
  persons: ServiceClient<typeof EntitledPersonServiceService>;
}

// ---- hospitals and their credentials ----

export const hospitalNotDesignated = (code: string) =>
  permissionDenied('HOSPITAL_NOT_DESIGNATED', `hospital ${code} is not a designated hospital (unknown or suspended)`);

/** Normalises a SHA-256 fingerprint (Node prints `AB:CD:…`) to 64 lower-case hex digits. */
export const normalFingerprint = (fp: string) => fp.replace(/:/g, '').toLowerCase();

/**
 * Admission of a hospital caller (the runtime's `admit` hook): the hospital must be ACTIVE, and a
 * token's `jti` registered to that hospital, unrevoked and unexpired (a certificate was checked the
 * same way by `callerFromCertificate`). Other roles pass.
 */
export async function admitHospital(q: Queryable, caller: Caller, now: Date): Promise<void> {
  if (caller.role !== 'hospital') return;
  const code = caller.hospital!;
  // One query per call (every hospital RPC passes here): the hospital's status and the token's registration.
  const { rows } = await q.query<{ status: string; revoked_at: Date | null; expires_at: Date | null; registered: boolean }>(
    `SELECT h.status, c.revoked_at, c.expires_at, c.id IS NOT NULL AS registered
       FROM hospitals h LEFT JOIN hospital_credentials c ON c.hospital = h.code AND c.kind = 'token' AND c.value = $2
      WHERE h.code = $1`,
    [code, caller.tokenId ?? ''],
  );
  if (rows[0]?.status !== 'ACTIVE') throw hospitalNotDesignated(code);
  if (caller.certificate) return;
  const cred = rows[0];
  if (!cred.registered) throw tokenRevoked('this hospital token is not registered (RegisterCredential)');
  if (cred.revoked_at) throw tokenRevoked('this hospital token was revoked');
  if (cred.expires_at! <= now) throw tokenRevoked('this hospital token’s registration has expired');
}

/** The hospital a verified client certificate belongs to, while it is registered, unrevoked and unexpired. */
export async function callerFromCertificate(q: Queryable, fingerprint: string, now: Date): Promise<Caller | undefined> {
  const { rows } = await q.query<{ hospital: string }>(
    "SELECT hospital FROM hospital_credentials WHERE kind = 'certificate' AND value = $1 AND revoked_at IS NULL AND expires_at > $2",
    [normalFingerprint(fingerprint), now],
  );
  const code = rows[0]?.hospital;
  return code ? { subject: `hospital:${code}`, role: 'hospital', hospital: code } : undefined;
}

/** A hospital-facing request must be about the caller's own hospital. */
export function assertOwnHospital(caller: Caller, code: string): void {
  if (caller.role === 'hospital' && caller.hospital !== code) {
    throw permissionDenied('HOSPITAL_MISMATCH', `this caller is hospital ${caller.hospital}, not ${code}`);
  }
}

// ---- eligibility and rules ----

export type { Rejection };

export type Eligibility =
  | { ok: true; personId: string; masked: string; held: Held[] }
  | { ok: false; reason: Rejection; detail: string; masked: string };

/** Asks persons (synchronously) whether the ID number is entitled on `date` under this name. */
export async function eligibilityOf(d: CoreDeps, nationalId: string, name: string, date: CivilDate): Promise<Eligibility> {
  const r = await d.persons.checkEligibility({ nationalId, name, date: toProtoDate(date) }, undefined, { timeoutMs: 5000 });
  const masked = r.nationalIdMasked || maskNationalId(nationalId);
  if (!r.personId) return { ok: false, reason: 'NOT_REGISTERED', detail: r.reason || 'NOT_REGISTERED', masked };
  if (!r.nameMatches) return { ok: false, reason: 'NAME_MISMATCH', detail: 'NAME_MISMATCH', masked };
  if (!r.entitled) return { ok: false, reason: 'NOT_ENTITLED', detail: r.reason, masked };
  const held = r.identities.flatMap((i) => {
    const category = i.attributes && entitlementEnums.category.fromNumber(i.attributes.category);
    return category ? [{ category, grade: i.attributes!.disabilityGrade }] : [];
  });
  if (!held.length) return { ok: false, reason: 'NOT_ENTITLED', detail: 'NO_IDENTITY', masked };
  return { ok: true, personId: r.personId, masked, held };
}

export const rejectionError = (reason: Rejection) => failedPrecondition(reason, REJECTIONS[reason]);

/** A rule set with where it came from. */
export interface FoundRule extends RuleSet {
  key: string;
  effectiveFrom: CivilDate | null;
}

/** The rule in force on `date` for one identity: the most specific approved setting, else the default. */
export async function ruleOf(q: Queryable, h: Held, visit: Visit, date: CivilDate): Promise<FoundRule> {
  const keys = ruleKeys(h, visit);
  for (const key of keys) {
    const v = await settingVersionAt(q, key, ruleValue, date);
    if (v) return { ...v.value, version: v.proposalId, key, effectiveFrom: v.effectiveFrom };
  }
  return { ...defaultRule(h, visit), key: keys[0]!, effectiveFrom: null };
}

/** The rule that pays for a person holding `held` (domain/rules.ts `chooseRule`). */
export async function ruleFor(q: Queryable, held: Held[], visit: Visit, date: CivilDate): Promise<FoundRule> {
  const found = await Promise.all(held.map((h) => ruleOf(q, h, visit, date)));
  return chooseRule(found) as FoundRule;
}

/** Cap used so far in `year` by the person from `fund`. */
export async function capUsedOf(q: Queryable, personId: string, fund: Fund, year: number): Promise<bigint> {
  const { rows } = await q.query<{ used_fen: string }>('SELECT used_fen FROM caps WHERE person_id = $1 AND fund = $2 AND year = $3', [personId, fund, year]);
  return BigInt(rows[0]?.used_fen ?? 0);
}

// ---- the answer, in the JSON form stored and sent back ----

/** A SettlementResult (proto) in JSON-safe form: fen as decimal strings. */
export interface ResultJson {
  fund: Fund;
  amount: string;
  limitLeft: string | null;
  trace: string;
  patientPays: string;
  capUsed: string;
  capLeft: string | null;
  ruleSetVersion: string;
  capYear: number;
  ratioBp: number;
}

export function resultJson(s: Settled, rule: RuleSet, capYear: number): ResultJson {
  return {
    fund: s.fund,
    amount: s.subsidy.toString(),
    limitLeft: s.capLeft === null ? null : s.capLeft.toString(),
    trace: s.trace,
    patientPays: s.patientPays.toString(),
    capUsed: s.capUsed.toString(),
    capLeft: s.capLeft === null ? null : s.capLeft.toString(),
    ruleSetVersion: rule.version,
    capYear,
    ratioBp: rule.ratioBp,
  };
}

/** What Settle answers, JSON-safe (it crosses Temporal). */
export interface SettleAnswer {
  requestId: string;
  settlementId: string;
  result: ResultJson;
  settledAt: string;
  period: string;
}

// ---- settlement requests ----

export interface RequestRow {
  id: string;
  hospital: string;
  bill_no: string;
  content_hash: string;
  bill: unknown;
  id_enc: string;
  id_masked: string;
  name_enc: string;
  status: 'PENDING' | 'SETTLED' | 'REJECTED';
  reject_reason: Rejection | typeof FAILED | null;
}

/** The attempt that holds (hospital, bill number), with its settlement if it has one. */
export async function openRequest(q: Queryable, hospital: string, billNo: string) {
  const { rows } = await q.query<RequestRow & { settlement: SettlementRow | null }>(
    `SELECT r.*, to_jsonb(s) AS settlement FROM settlement_requests r LEFT JOIN settlements s ON s.request_id = r.id
      WHERE r.hospital = $1 AND r.bill_no = $2 AND r.status <> 'REJECTED'`,
    [hospital, billNo],
  );
  return rows[0];
}

/** Stores a new attempt (ID number and name encrypted); undefined when another attempt holds the bill. */
export async function insertRequest(
  q: Queryable,
  pii: PiiVault,
  r: { hospital: string; billNo: string; hash: string; bill: StoredBill; nationalId: string; name: string },
): Promise<string | undefined> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO settlement_requests (id, hospital, bill_no, content_hash, bill, id_enc, id_masked, name_enc, status)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, 'PENDING')
     ON CONFLICT (hospital, bill_no) WHERE status <> 'REJECTED' DO NOTHING RETURNING id`,
    [randomUUID(), r.hospital, r.billNo, r.hash, toJson(r.bill), pii.encrypt(r.nationalId), maskNationalId(r.nationalId), pii.encrypt(r.name)],
  );
  return rows[0]?.id;
}

export async function requestById(q: Queryable, id: string): Promise<RequestRow> {
  const { rows } = await q.query<RequestRow>('SELECT * FROM settlement_requests WHERE id = $1', [id]);
  if (!rows[0]) throw notFound(`settlement request ${id}`);
  return rows[0];
}

export const billOf = (r: RequestRow): StoredBill => storedBillSchema.parse(r.bill);

/**
 * Marks a pending attempt rejected (it frees the bill number); the detailed reason stays with staff.
 * False when it was no longer pending (a commit of another execution got there first).
 */
export async function rejectRequest(q: Queryable, id: string, reason: Rejection, detail: string, at: Date): Promise<boolean> {
  const r = await q.query("UPDATE settlement_requests SET status = 'REJECTED', reject_reason = $2, reject_detail = $3, decided_at = $4 WHERE id = $1 AND status = 'PENDING'", [
    id,
    reason,
    detail,
    at,
  ]);
  return r.rowCount === 1;
}

/** `reject_reason` of an attempt given up on without a rejection (persons unreachable, a bug). */
export const FAILED = 'FAILED';

/**
 * Gives up an attempt whose settlement could not be completed (retries exhausted, or abandoned
 * before its workflow ran), freeing the bill number: only while it is pending and has no
 * settlement (a commit holds the attempt's row, so the two never interleave). True when it did.
 */
export async function abandonRequest(q: Queryable, id: string, detail: string, at: Date): Promise<boolean> {
  const r = await q.query(
    `UPDATE settlement_requests SET status = 'REJECTED', reject_reason = '${FAILED}', reject_detail = $2, decided_at = $3
      WHERE id = $1 AND status = 'PENDING' AND NOT EXISTS (SELECT 1 FROM settlements WHERE request_id = $1)`,
    [id, detail.slice(0, 2000), at],
  );
  return r.rowCount === 1;
}

/** Audits what a hospital learnt about a person (CheckEligibility, PreSettle): hospital, caller, masked ID, answer. */
export async function auditLookup(q: Queryable, a: { hospital: string; subject: string; nationalId: string; date: CivilDate; answer: string; rpc: string }): Promise<void> {
  await q.query('INSERT INTO eligibility_lookups (hospital, subject, id_masked, asked_date, answer, rpc) VALUES ($1, $2, $3, $4, $5, $6)', [
    a.hospital,
    a.subject,
    maskNationalId(a.nationalId),
    a.date,
    a.answer,
    a.rpc,
  ]);
}

// ---- committing a settlement ----

export interface SettlementRow {
  id: string;
  request_id: string;
  hospital: string;
  bill_no: string;
  person_id: string;
  id_masked: string;
  fund: Fund;
  amount_fen: string;
  total_cost_fen: string;
  patient_pays_fen: string;
  cap_year: number;
  result: ResultJson;
  settled_at: Date | string;
  period: string;
  reversed_at: Date | string | null;
  reverse_period: string | null;
  reverse_reason: string | null;
}

export const answerOf = (s: SettlementRow): SettleAnswer => ({
  requestId: s.request_id,
  settlementId: s.id,
  result: s.result,
  settledAt: new Date(s.settled_at).toISOString(),
  period: s.period,
});

/** A RuleSet in JSON-safe form (it crosses Temporal). */
export interface RuleJson {
  fund: Fund;
  ratioBp: number;
  capFen: string | null;
  version: string;
}
export const ruleJson = (r: RuleSet): RuleJson => ({ fund: r.fund, ratioBp: r.ratioBp, capFen: r.capFen === null ? null : r.capFen.toString(), version: r.version });
export const ruleFromJson = (r: RuleJson): RuleSet => ({ ...r, capFen: r.capFen === null ? null : BigInt(r.capFen) });

export interface CommitInput {
  requestId: string;
  personId: string;
  masked: string;
  rule: RuleJson;
  /** round_half_up(remaining × ratio), computed by the workflow; decimal fen. */
  uncapped: string;
}

/**
 * In one transaction: locks the person's cap row of the discharge year, pays min(uncapped, cap
 * left), records the settlement (the answer a re-send gets), marks the attempt settled and writes
 * SettlementSettled to the outbox. A second call for the same attempt returns the first answer.
 */
export async function commitSettlement(d: CoreDeps, c: CommitInput): Promise<SettleAnswer> {
  const rule = ruleFromJson(c.rule);
  return withTx(d.pool, async (tx) => {
    const req = (await tx.query<RequestRow>('SELECT * FROM settlement_requests WHERE id = $1 FOR UPDATE', [c.requestId])).rows[0];
    if (!req) throw notFound(`settlement request ${c.requestId}`);
    const done = (await tx.query<SettlementRow>('SELECT * FROM settlements WHERE request_id = $1', [c.requestId])).rows[0];
    if (done) return answerOf(done);
    if (req.status !== 'PENDING') throw failedPrecondition('REQUEST_NOT_PENDING', `the attempt is ${req.status.toLowerCase()}`);
    const bill = billOf(req);
    const year = parts(bill.dischargeDate).year;
    let usedBefore = 0n;
    if (rule.capFen !== null) {
      await tx.query('INSERT INTO caps (person_id, fund, year) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [c.personId, rule.fund, year]);
      const locked = await tx.query<{ used_fen: string }>('SELECT used_fen FROM caps WHERE person_id = $1 AND fund = $2 AND year = $3 FOR UPDATE', [c.personId, rule.fund, year]);
      usedBefore = BigInt(locked.rows[0]!.used_fen);
    }
    const s = applyCap(bill, rule, BigInt(c.uncapped), usedBefore);
    if (rule.capFen !== null && s.subsidy > 0n) {
      await tx.query('UPDATE caps SET used_fen = used_fen + $4 WHERE person_id = $1 AND fund = $2 AND year = $3', [c.personId, rule.fund, year, s.subsidy]);
    }
    const now = d.clock.now();
    const period = await openPeriod(tx, req.hospital, now);
    const result = resultJson(s, rule, year);
    const id = randomUUID();
    const { rows } = await tx.query<SettlementRow>(
      `INSERT INTO settlements (id, request_id, hospital, bill_no, person_id, id_masked, fund, amount_fen, total_cost_fen, patient_pays_fen, cap_year, result, settled_at, period)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14) RETURNING *`,
      [id, req.id, req.hospital, req.bill_no, c.personId, c.masked, s.fund, s.subsidy, bill.totalCost, s.patientPays, year, toJson(result), now, period],
    );
    await tx.query("UPDATE settlement_requests SET status = 'SETTLED', decided_at = $2 WHERE id = $1", [req.id, now]);
    await enqueue(tx, {
      topic: settlementEvents.topic,
      aggregateId: id,
      type: settlementEvents.settlementSettled,
      data: {
        settlementId: id,
        hospitalCode: req.hospital,
        billNo: req.bill_no,
        personId: c.personId,
        nationalIdMasked: c.masked,
        fundCode: s.fund,
        amount: { fen: s.subsidy },
        totalCost: { fen: bill.totalCost },
        patientPays: { fen: s.patientPays },
        capYear: year,
        period,
        settledAt: now,
        ruleSetVersion: rule.version,
      },
    });
    return answerOf(rows[0]!);
  });
}

/** A quote: what committing now would answer, with nothing reserved (PreSettle). */
export async function quote(q: Queryable, bill: BillAmounts & { dischargeDate: CivilDate }, personId: string, rule: RuleSet, uncapped: bigint): Promise<ResultJson> {
  const year = parts(bill.dischargeDate).year;
  const used = rule.capFen === null ? 0n : await capUsedOf(q, personId, rule.fund, year);
  return resultJson(applyCap(bill, rule, uncapped, used), rule, year);
}

// ---- reversal ----

export interface ReverseAnswer {
  settlementId: string;
  released: bigint;
  reversedAt: Date;
  period: string;
}

/**
 * Reverses a settled bill in one transaction: releases its amount to the cap of its year, records
 * the reversal and writes SettlementReversed. Reversing it again answers the first reversal; a bill
 * still being settled is ABORTED `SETTLEMENT_IN_FLIGHT` (retry); an unknown one NOT_FOUND.
 */
export async function reverse(d: CoreDeps, hospital: string, billNo: string, reason: string): Promise<ReverseAnswer> {
  return withTx(d.pool, async (tx: Tx) => {
    const s = (await tx.query<SettlementRow>('SELECT * FROM settlements WHERE hospital = $1 AND bill_no = $2 FOR UPDATE', [hospital, billNo])).rows[0];
    if (!s) {
      const open = await openRequest(tx, hospital, billNo);
      if (open) throw aborted('SETTLEMENT_IN_FLIGHT', 'this bill is still being settled; retry the reversal in a moment');
      throw notFound(`settlement of bill ${billNo}`, 'SETTLEMENT_NOT_FOUND');
    }
    if (s.reversed_at) return { settlementId: s.id, released: BigInt(s.amount_fen), reversedAt: new Date(s.reversed_at), period: s.reverse_period! };
    const now = d.clock.now();
    const period = await openPeriod(tx, hospital, now);
    const amount = BigInt(s.amount_fen);
    if (s.result.capLeft !== null && amount > 0n) {
      await tx.query('UPDATE caps SET used_fen = GREATEST(used_fen - $4, 0) WHERE person_id = $1 AND fund = $2 AND year = $3', [s.person_id, s.fund, s.cap_year, amount]);
    }
    await tx.query('UPDATE settlements SET reversed_at = $2, reverse_period = $3, reverse_reason = $4 WHERE id = $1', [s.id, now, period, reason]);
    await enqueue(tx, {
      topic: settlementEvents.topic,
      aggregateId: s.id,
      type: settlementEvents.settlementReversed,
      data: {
        settlementId: s.id,
        hospitalCode: hospital,
        billNo,
        personId: s.person_id,
        nationalIdMasked: s.id_masked,
        fundCode: s.fund,
        released: { fen: amount },
        capYear: s.cap_year,
        period,
        reversedAt: now,
        reason,
      },
    });
    return { settlementId: s.id, released: amount, reversedAt: now, period };
  });
}
