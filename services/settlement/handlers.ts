/** gRPC handlers of youfu.settlement.v1.MedicalSettlementService. */
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client, type Workflow } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MedicalSettlementServiceService, type SettlementResult } from '../../protos/gen/youfu/settlement/v1/settlement';
import { effective, policies } from '../lib/auth';
import { parts, type CivilDate } from '../lib/civil';
import { toJson, withTx } from '../lib/db';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, parseInput } from '../lib/errors';
import { bindService, type CallContext } from '../lib/grpc';
import { nationalIdArg } from '../lib/national-id';
import { decodeCursor, pageOf, pageRequest } from '../lib/paging';
import { decide, getProposal, listProposals, propose, type Proposal } from '../lib/proposals';
import { civilDate, money, requiredEnum, toProtoDate, yearMonth } from '../lib/proto';
import { decideSetting, proposeSetting, SETTING_KIND } from '../lib/settings';
import { fromTemporalError } from '../lib/temporal-errors';
import {
  abandonRequest,
  answerOf,
  auditLookup,
  assertOwnHospital,
  capUsedOf,
  eligibilityOf,
  insertRequest,
  normalFingerprint,
  openRequest,
  quote,
  rejectionError,
  reverse,
  ruleFor,
  ruleOf,
  type CoreDeps,
  type ResultJson,
  type SettleAnswer,
} from './core';
import { ruleKeys, uncappedSubsidy } from './domain/rules';
import * as s from './schemas';
import { closeStatement, statementMessage, statementOf } from './statements';

export const HOSPITAL_KIND = 'hospital';
/** The workflow (workflows/settlement), run by this service's own worker. */
export const SETTLEMENT_WORKFLOW = 'settlement';
/** The queue of the `workflows` worker, which runs the statement cut-off. */
export const WORKFLOWS_QUEUE = 'workflows';

export interface HandlerDeps extends CoreDeps {
  temporal: () => Promise<Client>;
  /** Task queue of this service's worker (its activities and the settlement workflow). */
  activityQueue: string;
}

const hospitalOrStaff = [...policies.read, 'hospital'] as const;

/** Who may call each RPC. */
export const settlementPolicies = {
  preSettle: policies.hospital,
  settle: policies.hospital,
  reverse: policies.hospital,
  reconcileTotals: hospitalOrStaff,
  reconcileDetails: hospitalOrStaff,
  checkEligibility: policies.hospital,
  getStatement: hospitalOrStaff,
  approveStatement: policies.decide,
  proposeHospital: policies.propose,
  proposeRuleSet: policies.propose,
  decideProposal: policies.decide,
  listProposals: policies.read,
  registerCredential: policies.decide,
  revokeCredential: [...policies.propose, ...policies.decide],
  getHospital: policies.read,
  getRuleSet: policies.read,
} satisfies Record<keyof typeof MedicalSettlementServiceService, unknown>;

const toResult = (r: ResultJson): SettlementResult => ({
  funds: [{ fundCode: r.fund, amount: money(BigInt(r.amount)), ...(r.limitLeft === null ? {} : { limitLeft: money(BigInt(r.limitLeft)) }), trace: r.trace }],
  patientPays: money(BigInt(r.patientPays)),
  capUsed: money(BigInt(r.capUsed)),
  ...(r.capLeft === null ? {} : { capLeft: money(BigInt(r.capLeft)) }),
  ruleSetVersion: r.ruleSetVersion,
  capYear: r.capYear,
  ratioBp: r.ratioBp,
});

const toSettleResponse = (a: SettleAnswer) => ({ settlementId: a.settlementId, result: toResult(a.result), settledAt: new Date(a.settledAt), period: a.period });

const proposalView = (p: Proposal) => ({
  proposalId: p.id,
  kind: p.kind,
  subject: p.subject,
  status: p.status,
  version: p.version,
  proposedBy: p.proposedBy,
  proposedAt: p.proposedAt,
  note: p.note ?? '',
  decidedBy: p.decidedBy ?? '',
  decisionNote: p.decisionNote ?? '',
  payloadJson: toJson(p.payload),
});

const credentialView = (c: { id: string; kind: string; value: string; expires_at: Date; revoked_at: Date | null; registered_by: string }) => ({
  credentialId: c.id,
  kind: c.kind,
  value: c.value,
  expiresAt: c.expires_at,
  ...(c.revoked_at ? { revokedAt: c.revoked_at } : {}),
  registeredBy: c.registered_by,
});

const hospitalPayload = z.object({ code: z.string(), name: z.string(), status: z.enum(['ACTIVE', 'SUSPENDED']) });
const uuid = z.string().uuid('not a UUID');
/** An amount the hospital counted (unset = 0). */
const expectedAmount = z
  .object({ fen: z.bigint().min(0n).max(2n ** 62n) })
  .optional()
  .transform((m) => m?.fen ?? 0n);
/** How long an attempt may stay pending without a running workflow before a different bill may take its number. */
const STALE_AFTER_MS = 2 * 60_000;
const range = z
  .object({ fromDate: civilDate, toDate: civilDate })
  .refine((r) => r.fromDate <= r.toDate, { message: 'after toDate', path: ['fromDate'] })
  .refine((r) => Date.parse(r.toDate) - Date.parse(r.fromDate) <= 366 * 86_400_000, { message: 'at most 366 days', path: ['toDate'] });
const detailsCursor = z.object({ at: z.string().datetime(), id: uuid });
const entryCursor = z.object({ at: z.string().datetime(), id: uuid, kind: z.enum(['SETTLED', 'REVERSED']) });
/** Shanghai civil dates [from, to] as instants [start, end). */
const instants = (from: CivilDate, to: CivilDate) => [new Date(`${from}T00:00:00+08:00`), new Date(Date.parse(`${to}T00:00:00+08:00`) + 86_400_000)] as const;

export function settlementBinding(d: HandlerDeps) {
  const { pool, pii, clock } = d;

  /** Runs (or joins) the bill's workflow and waits for its answer. */
  async function runWorkflow(requestId: string, hospital: string, billNo: string, ctx: CallContext): Promise<SettleAnswer> {
    const client = await d.temporal();
    for (let attempt = 0; ; attempt++) {
      const start = new WithStartWorkflowOperation(SETTLEMENT_WORKFLOW, {
        workflowId: `settlement:${hospital}:${billNo}`,
        // This service runs the workflow itself, with its steps as local activities.
        taskQueue: d.activityQueue,
        args: [{ requestId }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      try {
        // Given up when the hospital hangs up or its deadline passes; the workflow goes on, a re-send joins it.
        return await client.withAbortSignal(ctx.signal, () =>
          client.workflow.executeUpdateWithStart<Workflow, SettleAnswer, [string]>('settle', { args: [requestId], startWorkflowOperation: start }),
        );
      } catch (err) {
        const app = fromTemporalError(err);
        // An earlier attempt's run is still closing: wait for it, briefly.
        if (app?.reason === 'SETTLEMENT_IN_FLIGHT' && attempt < 50 && !ctx.signal.aborted) {
          await new Promise((r) => setTimeout(r, 20 + attempt * 10));
          continue;
        }
        throw app ?? err;
      }
    }
  }

  /**
   * Gives up a pending attempt older than STALE_AFTER_MS whose workflow is not running (it never
   * started, or ended without settling): true when the bill number is free again.
   */
  async function stale(requestId: string, hospital: string, billNo: string): Promise<boolean> {
    // Aged by the database's clock, which stamped it.
    const aged = await pool.query('SELECT 1 FROM settlement_requests WHERE id = $1 AND received_at < clock_timestamp() - make_interval(secs => $2)', [requestId, STALE_AFTER_MS / 1000]);
    if (!aged.rowCount) return false;
    const client = await d.temporal();
    const running = await client.workflow
      .getHandle(`settlement:${hospital}:${billNo}`)
      .describe()
      .then((w) => w.status.name === 'RUNNING', (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      });
    return !running && (await abandonRequest(pool, requestId, 'abandoned: pending without a running workflow', clock.now()));
  }

  return bindService({
    definition: MedicalSettlementServiceService,
    policies: settlementPolicies,
    handlers: {
      async preSettle(req, ctx) {
        const b = s.parseBill(req.bill, clock.today());
        assertOwnHospital(ctx.caller, b.hospitalCode);
        const e = await eligibilityOf(d, b.nationalId, b.name, b.dischargeDate);
        await auditLookup(pool, { hospital: b.hospitalCode, subject: ctx.caller.subject, nationalId: b.nationalId, date: b.dischargeDate, answer: e.ok ? 'ELIGIBLE' : e.reason, rpc: 'PreSettle' });
        if (!e.ok) throw rejectionError(e.reason);
        const rule = await ruleFor(pool, e.held, b.visitType, b.dischargeDate);
        return { result: toResult(await quote(pool, b, e.personId, rule, uncappedSubsidy(b, rule.ratioBp))) };
      },

      async settle(req, ctx) {
        const b = s.parseBill(req.bill, clock.today());
        assertOwnHospital(ctx.caller, b.hospitalCode);
        const hash = s.contentHash(b, pii);
        for (;;) {
          const open = await openRequest(pool, b.hospitalCode, b.billNo);
          if (open) {
            if (open.content_hash !== hash) {
              // An attempt left pending with no workflow running (a crash before it started) holds the bill: give it up.
              if (!open.settlement && (await stale(open.id, b.hospitalCode, b.billNo))) continue;
              throw alreadyExists(`bill ${b.billNo} with other content`, 'BILL_CONFLICT');
            }
            if (open.settlement?.reversed_at) throw failedPrecondition('BILL_REVERSED', `bill ${b.billNo} was settled and reversed; settle it under a new bill number`);
            if (open.settlement) return toSettleResponse(answerOf(open.settlement));
            return toSettleResponse(await runWorkflow(open.id, b.hospitalCode, b.billNo, ctx));
          }
          const id = await insertRequest(pool, pii, { hospital: b.hospitalCode, billNo: b.billNo, hash, bill: s.storedBill(b), nationalId: b.nationalId, name: b.name });
          if (id) return toSettleResponse(await runWorkflow(id, b.hospitalCode, b.billNo, ctx));
          // A concurrent copy stored it first: read it again.
        }
      },

      async reverse(req, ctx) {
        const v = parseInput(z.object({ hospitalCode: s.hospitalCode, billNo: z.string().min(1).max(64), reason: s.note }), req);
        assertOwnHospital(ctx.caller, v.hospitalCode);
        const r = await reverse(d, v.hospitalCode, v.billNo, v.reason);
        return { settlementId: r.settlementId, released: money(r.released), reversedAt: r.reversedAt, period: r.period };
      },

      async reconcileTotals(req, ctx) {
        const v = parseInput(
          z.object({
            hospitalCode: s.hospitalCode,
            fromDate: z.unknown(),
            toDate: z.unknown(),
            expectedSettledCount: z.bigint().min(0n).max(1_000_000_000n),
            expectedSettledAmount: expectedAmount,
            expectedReversedCount: z.bigint().min(0n).max(1_000_000_000n),
            expectedReversedAmount: expectedAmount,
          }),
          req,
        );
        const r = parseInput(range, { fromDate: req.fromDate, toDate: req.toDate });
        assertOwnHospital(ctx.caller, v.hospitalCode);
        const [from, to] = instants(r.fromDate, r.toDate);
        const settled = await pool.query<{ fund: string; n: string; sum: string }>(
          `SELECT fund, count(*) AS n, coalesce(sum(amount_fen), 0) AS sum FROM settlements
            WHERE hospital = $1 AND settled_at >= $2 AND settled_at < $3 GROUP BY fund ORDER BY fund`,
          [v.hospitalCode, from, to],
        );
        const reversed = await pool.query<{ fund: string; n: string; sum: string }>(
          `SELECT fund, count(*) AS n, coalesce(sum(amount_fen), 0) AS sum FROM settlements
            WHERE hospital = $1 AND reversed_at >= $2 AND reversed_at < $3 GROUP BY fund ORDER BY fund`,
          [v.hospitalCode, from, to],
        );
        const totals = (rows: { fund: string; n: string; sum: string }[]) => rows.map((x) => ({ fundCode: x.fund, count: BigInt(x.n), amount: money(BigInt(x.sum)) }));
        const sum = (rows: { n: string; sum: string }[]) => [rows.reduce((a, x) => a + BigInt(x.n), 0n), rows.reduce((a, x) => a + BigInt(x.sum), 0n)] as const;
        const [count, amount] = sum(settled.rows);
        const [reversedCount, reversedAmount] = sum(reversed.rows);
        return {
          settled: totals(settled.rows),
          reversed: totals(reversed.rows),
          settledCount: count,
          settledAmount: money(amount),
          consistent:
            v.expectedSettledCount === count && v.expectedSettledAmount === amount && v.expectedReversedCount === reversedCount && v.expectedReversedAmount === reversedAmount,
        };
      },

      async reconcileDetails(req, ctx) {
        const v = parseInput(z.object({ hospitalCode: s.hospitalCode, page: pageRequest }), { hospitalCode: req.hospitalCode, page: req.page });
        const r = parseInput(range, { fromDate: req.fromDate, toDate: req.toDate });
        assertOwnHospital(ctx.caller, v.hospitalCode);
        const after = decodeCursor(detailsCursor, v.page.token);
        const [from, to] = instants(r.fromDate, r.toDate);
        const { rows } = await pool.query<{
          id: string;
          bill_no: string;
          fund: string;
          amount_fen: string;
          total_cost_fen: string;
          patient_pays_fen: string;
          settled_at: Date;
          reversed_at: Date | null;
          id_masked: string;
        }>(
          `SELECT id, bill_no, fund, amount_fen, total_cost_fen, patient_pays_fen, settled_at, reversed_at, id_masked FROM settlements
            WHERE hospital = $1 AND settled_at >= $2 AND settled_at < $3 AND ($4::timestamptz IS NULL OR (settled_at, id) > ($4, $5::uuid))
            ORDER BY settled_at, id LIMIT $6`,
          [v.hospitalCode, from, to, after?.at ?? null, after?.id ?? null, v.page.size + 1],
        );
        const page = pageOf(rows, v.page.size, (last) => ({ at: last.settled_at.toISOString(), id: last.id }));
        return {
          lines: page.items.map((x) => ({
            settlementId: x.id,
            billNo: x.bill_no,
            fundCode: x.fund,
            amount: money(BigInt(x.amount_fen)),
            totalCost: money(BigInt(x.total_cost_fen)),
            patientPays: money(BigInt(x.patient_pays_fen)),
            settledAt: x.settled_at,
            ...(x.reversed_at ? { reversedAt: x.reversed_at } : {}),
            nationalIdMasked: x.id_masked,
          })),
          page: { nextPageToken: page.nextPageToken },
        };
      },

      async checkEligibility(req, ctx) {
        const today = clock.today();
        const v = parseInput(z.object({ hospitalCode: s.hospitalCode, name: z.string().trim().min(1, 'required').max(50), date: civilDate }), req);
        if (v.date > today) throw invalidArgument('date', `after today (${today})`);
        const id = nationalIdArg(req.nationalId, today);
        assertOwnHospital(ctx.caller, v.hospitalCode);
        const e = await eligibilityOf(d, id, v.name, v.date);
        await auditLookup(pool, { hospital: v.hospitalCode, subject: ctx.caller.subject, nationalId: id, date: v.date, answer: e.ok ? 'ELIGIBLE' : e.reason, rpc: 'CheckEligibility' });
        if (!e.ok) return { eligible: false, reason: e.reason, fundCode: '', inpatientRatioBp: 0, outpatientRatioBp: 0 };
        const inpatient = await ruleFor(pool, e.held, 'INPATIENT', v.date);
        const outpatient = await ruleFor(pool, e.held, 'OUTPATIENT', v.date);
        const used = inpatient.capFen === null ? 0n : await capUsedOf(pool, e.personId, inpatient.fund, parts(v.date).year);
        return {
          eligible: true,
          reason: '',
          fundCode: inpatient.fund,
          inpatientRatioBp: inpatient.ratioBp,
          outpatientRatioBp: outpatient.ratioBp,
          ...(inpatient.capFen === null ? {} : { capLeft: money(inpatient.capFen > used ? inpatient.capFen - used : 0n) }),
        };
      },

      async getStatement(req, ctx) {
        const v = parseInput(z.object({ hospitalCode: s.hospitalCode, period: yearMonth, page: pageRequest }), req);
        assertOwnHospital(ctx.caller, v.hospitalCode);
        const statement = await statementOf(pool, v.hospitalCode, v.period);
        const after = decodeCursor(entryCursor, v.page.token);
        const { rows } = await pool.query<{ id: string; bill_no: string; kind: string; fund: string; amount_fen: string; at: Date }>(
          `SELECT * FROM (
             SELECT id, bill_no, 'SETTLED' AS kind, fund, amount_fen, settled_at AS at FROM settlements WHERE hospital = $1 AND period = $2
             UNION ALL
             SELECT id, bill_no, 'REVERSED', fund, amount_fen, reversed_at FROM settlements WHERE hospital = $1 AND reverse_period = $2) e
            WHERE $3::timestamptz IS NULL OR (e.at, e.id, e.kind) > ($3, $4::uuid, $5)
            ORDER BY e.at, e.id, e.kind LIMIT $6`,
          [v.hospitalCode, v.period, after?.at ?? null, after?.id ?? null, after?.kind ?? null, v.page.size + 1],
        );
        const page = pageOf(rows, v.page.size, (last) => ({ at: last.at.toISOString(), id: last.id, kind: last.kind }));
        return {
          statement: statementMessage(statement),
          entries: page.items.map((e) => ({ settlementId: e.id, billNo: e.bill_no, kind: e.kind, fundCode: e.fund, amount: money(BigInt(e.amount_fen)), at: e.at })),
          page: { nextPageToken: page.nextPageToken },
        };
      },

      async approveStatement(req, ctx) {
        const v = parseInput(z.object({ hospitalCode: s.hospitalCode, period: yearMonth, note: z.string().max(2000) }), req);
        const closed = await closeStatement(pool, v.hospitalCode, v.period, effective(ctx.caller).subject, v.note, clock.now());
        return { statement: statementMessage(closed) };
      },

      async proposeHospital(req, ctx) {
        const v = parseInput(z.object({ hospitalCode: s.hospitalCode, name: z.string().trim().min(1, 'required').max(200), status: requiredEnum(s.hospitalStatusEnum), note: s.note }), req);
        const p = await withTx(pool, (tx) =>
          propose(tx, { kind: HOSPITAL_KIND, subject: v.hospitalCode, payload: { code: v.hospitalCode, name: v.name, status: v.status }, caller: ctx.caller, note: v.note, at: clock.now() }),
        );
        return { proposal: proposalView(p) };
      },

      async proposeRuleSet(req, ctx) {
        const v = parseInput(
          z
            .object({
              category: s.categoryArg,
              disabilityGrade: s.gradeArg,
              visitType: requiredEnum(s.visitEnum),
              effectiveFrom: civilDate,
              fundCode: z.enum(['350100', '610200'], 'one of 350100, 610200'),
              ratioBp: z.number().int().min(0).max(10_000),
              annualCap: z.object({ fen: z.bigint().min(0n).max(1_000_000_000n) }).optional(),
              note: s.note,
            })
            .refine((x) => x.category === 'DISABLED_SERVICEMAN' || x.disabilityGrade === 0, { message: 'only disabled servicemen have grades (0 = every grade)', path: ['disabilityGrade'] }),
          req,
        );
        const key = ruleKeys({ category: v.category, grade: v.disabilityGrade }, v.visitType)[0]!;
        const p = await withTx(pool, (tx) =>
          proposeSetting(tx, {
            key,
            schema: s.ruleValue,
            value: { fund: v.fundCode, ratioBp: v.ratioBp, capFen: v.annualCap ? v.annualCap.fen : null },
            effectiveFrom: v.effectiveFrom,
            caller: ctx.caller,
            note: v.note,
            at: clock.now(),
          }),
        );
        return { proposal: proposalView(p) };
      },

      async decideProposal(req, ctx) {
        const v = parseInput(z.object({ proposalId: uuid, approve: z.boolean(), note: z.string().max(2000), expectedVersion: z.bigint().min(0n).max(1_000_000n) }), req);
        const decision = v.approve ? ('APPROVED' as const) : ('REJECTED' as const);
        const input = { decision, caller: ctx.caller, note: v.note || undefined, at: clock.now(), ...(v.expectedVersion ? { expectedVersion: v.expectedVersion } : {}) };
        const p = await withTx(pool, async (tx) => {
          const found = await getProposal(tx, v.proposalId);
          if (!found) throw notFound(`proposal ${v.proposalId}`, 'PROPOSAL_NOT_FOUND');
          if (found.kind === SETTING_KIND) return (await decideSetting(tx, v.proposalId, input)).proposal;
          const decided = await decide(tx, v.proposalId, { ...input, kind: HOSPITAL_KIND });
          if (decided.status === 'APPROVED') {
            const h = hospitalPayload.parse(decided.payload);
            await tx.query(
              `INSERT INTO hospitals (code, name, status, proposal_id, updated_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status, proposal_id = EXCLUDED.proposal_id, updated_at = EXCLUDED.updated_at`,
              [h.code, h.name, h.status, decided.id, clock.now()],
            );
          }
          return decided;
        });
        return { proposal: proposalView(p) };
      },

      async listProposals(req) {
        const v = parseInput(z.object({ status: z.enum(['', 'PENDING', 'APPROVED', 'REJECTED']), page: pageRequest }), req);
        const r = await listProposals(pool, { ...(v.status ? { status: v.status } : {}), page: v.page });
        return { proposals: r.items.map(proposalView), page: { nextPageToken: r.nextPageToken } };
      },

      async registerCredential(req, ctx) {
        const now = clock.now();
        const v = parseInput(
          z.object({
            hospitalCode: s.hospitalCode,
            credential: z.discriminatedUnion(
              '$case',
              [
                z.object({ $case: z.literal('tokenId'), value: z.string().regex(/^[\x21-\x7e]{8,128}$/, 'a token id (jti): 8–128 printable ASCII characters') }),
                z.object({ $case: z.literal('certificateSha256'), value: z.string().regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, '64 hex digits, colons optional') }),
              ],
              { error: 'required: tokenId or certificateSha256' },
            ),
            expiresAt: z.date({ error: 'required' }).refine((t) => t > now, 'must be in the future'),
            note: s.note,
          }),
          req,
        );
        const kind = v.credential.$case === 'tokenId' ? 'token' : 'certificate';
        const value = kind === 'token' ? v.credential.value : normalFingerprint(v.credential.value);
        const row = await withTx(pool, async (tx) => {
          const h = await tx.query('SELECT 1 FROM hospitals WHERE code = $1', [v.hospitalCode]);
          if (!h.rowCount) throw notFound(`hospital ${v.hospitalCode}`, 'HOSPITAL_NOT_FOUND');
          const { rows } = await tx.query(
            `INSERT INTO hospital_credentials (id, hospital, kind, value, expires_at, registered_by, registered_at, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kind, value) DO NOTHING RETURNING *`,
            [randomUUID(), v.hospitalCode, kind, value, v.expiresAt, ctx.caller.subject, now, v.note],
          );
          if (!rows[0]) throw alreadyExists(`${kind} credential`, 'CREDENTIAL_EXISTS');
          return rows[0];
        });
        return { credential: credentialView(row) };
      },

      async revokeCredential(req, ctx) {
        const v = parseInput(z.object({ credentialId: uuid, note: s.note }), req);
        const { rows } = await pool.query(
          `UPDATE hospital_credentials SET revoked_at = coalesce(revoked_at, $2), revoked_by = coalesce(revoked_by, $3), revoke_note = coalesce(revoke_note, $4)
            WHERE id = $1 RETURNING *`,
          [v.credentialId, clock.now(), ctx.caller.subject, v.note],
        );
        if (!rows[0]) throw notFound(`credential ${v.credentialId}`, 'CREDENTIAL_NOT_FOUND');
        return { credential: credentialView(rows[0]) };
      },

      async getHospital(req) {
        const v = parseInput(z.object({ hospitalCode: s.hospitalCode }), req);
        const h = (await pool.query<{ code: string; name: string; status: s.HospitalStatus }>('SELECT code, name, status FROM hospitals WHERE code = $1', [v.hospitalCode])).rows[0];
        if (!h) throw notFound(`hospital ${v.hospitalCode}`, 'HOSPITAL_NOT_FOUND');
        const creds = await pool.query('SELECT * FROM hospital_credentials WHERE hospital = $1 ORDER BY registered_at', [h.code]);
        return { hospital: { hospitalCode: h.code, name: h.name, status: s.hospitalStatusEnum.toNumber(h.status), credentials: creds.rows.map(credentialView) } };
      },

      async getRuleSet(req) {
        const v = parseInput(
          z
            .object({ category: s.categoryArg, disabilityGrade: s.gradeArg, visitType: requiredEnum(s.visitEnum), date: civilDate })
            .refine((x) => x.category === 'DISABLED_SERVICEMAN' || x.disabilityGrade === 0, { message: 'only disabled servicemen have grades', path: ['disabilityGrade'] }),
          req,
        );
        const r = await ruleOf(pool, { category: v.category, grade: v.disabilityGrade }, v.visitType, v.date);
        return {
          ruleSet: {
            fundCode: r.fund,
            ratioBp: r.ratioBp,
            ...(r.capFen === null ? {} : { annualCap: money(r.capFen) }),
            version: r.version,
            key: r.key,
            ...(r.effectiveFrom ? { effectiveFrom: toProtoDate(r.effectiveFrom) } : {}),
          },
        };
      },
    },
  });
}
