/** The resettlement service's SQL: cases, their steps (audit), and their events (outbox), one transaction per step. */
import type { CivilDate, YearMonth } from '../lib/civil';
import { toJson, withTx, type Pool, type Queryable, type Tx } from '../lib/db';
import { alreadyExists, failedPrecondition, notFound } from '../lib/errors';
import { resettlementEvents } from '../lib/contracts';
import type { EventType } from '../lib/kafka';
import { enqueue } from '../lib/outbox';
import type { Cause, Deadline, Honour, Mode, RankType, Reporting, Status, SupportKind } from './domain/rules';

export interface DisabilityValue {
  grade: number;
  cause: Cause;
  assessedOn: CivilDate;
  mentalDisorder: boolean;
}

export interface SubsidyValue {
  halfYears: number;
  perYearBaseFen: string;
  honourBp: number;
  amountFen: string;
  centralFen: string;
  proposedBy: string;
  approvedBy: string | null;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  note: string;
}

export interface JobOfferValue {
  employer: string;
  letterNumber: string;
  referredOn: CivilDate;
}

export interface ReinstatementValue {
  reason: string;
  proposedBy: string;
  decidedBy: string | null;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  note: string;
}

export interface RegistryTransferValue {
  attempt: number;
  origin: string;
  status: 'REQUESTED' | 'PROPOSED' | 'APPROVED' | 'REJECTED' | 'DUPLICATE_PERSON' | 'REFUSED';
  changeId: string | null;
  requestedBy: string;
  /** The registration's approval date: the day of the transfer. */
  requestedOn: CivilDate;
  message: string;
}

export interface SupportValue {
  id: string;
  kind: SupportKind;
  startedOn: CivilDate;
  provider: string;
  amountFen: string;
  note: string;
  recordedBy: string;
}

export interface AllowanceValue {
  month: YearMonth;
  amountFen: string;
}

export interface CaseRow {
  id: string;
  id_hash: string;
  id_enc: string;
  id_masked: string;
  name_enc: string;
  gender: 'MALE' | 'FEMALE';
  birth_date: CivilDate;
  service_branch: string;
  rank_type: Exclude<RankType, 'OFFICER'>;
  nco_level: number;
  enlisted_on: CivilDate;
  discharged_on: CivilDate;
  discharge_approved_on: CivilDate;
  honours: Honour[];
  disability: DisabilityValue | null;
  martyr_child: boolean;
  district: string;
  residence: 'URBAN' | 'RURAL';
  college_student: boolean;
  payee_bank: string | null;
  payee_account_enc: string | null;
  payee_account_masked: string | null;
  payee_name_enc: string | null;
  phone_enc: string | null;
  status: Status;
  report_on_time_by: CivilDate;
  report_by: CivilDate;
  reported_on: CivilDate | null;
  reporting: Reporting | null;
  late_reason: string | null;
  mode: Mode | null;
  subsidy: SubsidyValue | null;
  job_offer: JobOfferValue | null;
  onboarded_on: CivilDate | null;
  missed: Deadline[];
  closing_note: string | null;
  reinstatement: ReinstatementValue | null;
  registry_transfer: RegistryTransferValue | null;
  /** Read with the case (support_records, waiting_allowances). */
  support: SupportValue[];
  allowances: AllowanceValue[];
  received_by: string;
  received_at: Date;
  updated_at: Date;
  version: bigint;
}

export type NewCase = Omit<CaseRow, 'status' | 'reported_on' | 'reporting' | 'late_reason' | 'mode' | 'subsidy' | 'job_offer' | 'onboarded_on' | 'missed' | 'closing_note' | 'reinstatement' | 'registry_transfer' | 'support' | 'allowances' | 'updated_at' | 'version'>;

/** Who took a step: a staff subject (with the service acting for them, if any) or `system` for a deadline. */
export interface Actor {
  subject: string;
  role: string;
  via: string | null;
}

export const SYSTEM: Actor = { subject: 'system', role: 'service', via: 'resettlement' };

/** An event a step publishes: its contract and the payload built from the case after the step. */
export interface StepEvent {
  type: EventType<unknown>;
  data: (c: CaseRow) => unknown;
}

/** A step's event, its payload checked against the contract's message type. */
export const stepEvent = <T>(type: EventType<T>, data: (c: CaseRow) => T): StepEvent => ({ type: type as EventType<unknown>, data });

const CASE_COLUMNS = `id, id_hash, id_enc, id_masked, name_enc, gender, birth_date, service_branch, rank_type, nco_level, enlisted_on, discharged_on,
  discharge_approved_on, honours, disability, martyr_child, district, residence, college_student, payee_bank, payee_account_enc, payee_account_masked,
  payee_name_enc, phone_enc, report_on_time_by, report_by, received_by, received_at`;

/** A case with its support records and allowance lines (oldest first). */
const SELECT_CASE = `SELECT c.*,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'kind', s.kind, 'startedOn', s.started_on, 'provider', s.provider, 'amountFen', s.amount_fen::text,
                                                  'note', s.note, 'recordedBy', s.recorded_by) ORDER BY s.seq)
                FROM support_records s WHERE s.case_id = c.id), '[]') AS support,
    coalesce((SELECT jsonb_agg(jsonb_build_object('month', a.month, 'amountFen', a.amount_fen::text) ORDER BY a.month) FROM waiting_allowances a WHERE a.case_id = c.id), '[]') AS allowances
  FROM cases c`;

export async function getCase(q: Queryable, id: string, forUpdate = false): Promise<CaseRow | undefined> {
  return (await q.query<CaseRow>(`${SELECT_CASE} WHERE c.id = $1${forUpdate ? ' FOR UPDATE OF c' : ''}`, [id])).rows[0];
}

export async function mustCase(q: Queryable, id: string, forUpdate = false): Promise<CaseRow> {
  const c = await getCase(q, id, forUpdate);
  if (!c) throw notFound(`case ${id}`, 'CASE_NOT_FOUND');
  return c;
}

async function recordStep(tx: Tx, c: CaseRow, step: string, from: Status | null, actor: Actor, at: Date, detail: object, event: StepEvent | undefined): Promise<void> {
  await tx.query('INSERT INTO case_steps (case_id, step, from_status, to_status, actor, actor_role, via, at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
    c.id,
    step,
    from,
    c.status,
    actor.subject,
    actor.role,
    actor.via,
    at,
    toJson(detail),
  ]);
  if (event) await enqueue(tx, { topic: resettlementEvents.topic, aggregateId: c.id, type: event.type, data: event.data(c) });
}

/** Opens a case (RECEIVED) with its first step and event; a second open case of the ID is ALREADY_EXISTS. */
export async function insertCase(pool: Pool, c: NewCase, actor: Actor, event: StepEvent): Promise<CaseRow> {
  return withTx(pool, async (tx) => {
    const cols = CASE_COLUMNS.split(',').map((x) => x.trim());
    const r = await tx.query<CaseRow>(
      `INSERT INTO cases (${cols.join(', ')}, status, updated_at) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}, 'RECEIVED', $${cols.length})
       ON CONFLICT (id_hash) WHERE status NOT IN ('CLOSED', 'LAPSED') DO NOTHING RETURNING *`,
      cols.map((k) => {
        const v = (c as unknown as Record<string, unknown>)[k];
        return k === 'disability' && v ? toJson(v) : v;
      }),
    );
    if (!r.rows[0]) throw alreadyExists('an open case of this ID number', 'OPEN_CASE_EXISTS');
    const row = (await getCase(tx, r.rows[0].id))!;
    await recordStep(tx, row, 'RECEIVE', null, actor, c.received_at, {}, event);
    return row;
  });
}

/** The columns a step may set (JSON ones are written as JSON). */
export type CasePatch = Partial<Pick<CaseRow, 'status' | 'reported_on' | 'reporting' | 'late_reason' | 'mode' | 'subsidy' | 'job_offer' | 'onboarded_on' | 'missed' | 'closing_note' | 'reinstatement' | 'registry_transfer'>>;

export interface Step {
  /** Its name in the audit trail (RECORD_REPORT, LAPSE, …). */
  name: string;
  /** The statuses it may start from; another is FAILED_PRECONDITION `ILLEGAL_TRANSITION`. */
  from: readonly Status[];
  actor: Actor;
  at: Date;
  /** Further checks on the locked case (throw an AppError); then the change, or `null` for nothing to do (an idempotent repeat). */
  change: (c: CaseRow) => CasePatch | null;
  /** Rows the step writes beside the case (a support record, an allowance line), in its transaction. */
  also?: (tx: Tx, c: CaseRow) => Promise<void>;
  event?: StepEvent | ((c: CaseRow) => StepEvent | undefined);
  detail?: object;
}

/**
 * One step of a case, in one transaction: lock the case, check its status and the step's own
 * rules, update it (version + 1), record the step and its event. Returns the case after it (or
 * unchanged when the step found nothing to do).
 */
export async function step(pool: Pool, caseId: string, s: Step): Promise<CaseRow> {
  return withTx(pool, async (tx) => {
    const c = await mustCase(tx, caseId, true);
    if (!s.from.includes(c.status)) {
      throw failedPrecondition('ILLEGAL_TRANSITION', `case ${caseId} is ${c.status}; ${s.name} needs ${s.from.join(' or ')}`, { status: c.status, step: s.name });
    }
    const patch = s.change(c);
    if (!patch) return c;
    const keys = Object.keys(patch) as (keyof CasePatch)[];
    const json = new Set(['subsidy', 'job_offer', 'reinstatement', 'registry_transfer']);
    await tx.query(`UPDATE cases SET ${[...keys.map((k, i) => `${k} = $${i + 2}`), 'version = version + 1', `updated_at = $${keys.length + 2}`].join(', ')} WHERE id = $1`, [
      caseId,
      ...keys.map((k) => (json.has(k) && patch[k] ? toJson(patch[k]) : patch[k])),
      s.at,
    ]);
    if (s.also) await s.also(tx, c);
    const after = (await getCase(tx, caseId))!;
    await recordStep(tx, after, s.name, c.status, s.actor, s.at, s.detail ?? {}, typeof s.event === 'function' ? s.event(after) : s.event);
    return after;
  });
}

/** Another open case of the same ID number (a reinstatement would make two). */
export async function otherOpenCase(q: Queryable, c: CaseRow): Promise<boolean> {
  const r = await q.query("SELECT 1 FROM cases WHERE id_hash = $1 AND id <> $2 AND status NOT IN ('CLOSED', 'LAPSED')", [c.id_hash, c.id]);
  return (r.rowCount ?? 0) > 0;
}

export async function insertSupport(tx: Tx, caseId: string, r: SupportValue, at: Date): Promise<void> {
  await tx.query('INSERT INTO support_records (id, case_id, kind, started_on, provider, amount_fen, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
    r.id,
    caseId,
    r.kind,
    r.startedOn,
    r.provider,
    r.amountFen,
    r.note,
    r.recordedBy,
    at,
  ]);
}

/** Records a month of the waiting allowance once (a repeat writes nothing). */
export async function insertAllowance(tx: Tx, caseId: string, month: YearMonth, amountFen: bigint, at: Date): Promise<boolean> {
  const r = await tx.query('INSERT INTO waiting_allowances (case_id, month, amount_fen, recorded_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [caseId, month, amountFen, at]);
  return (r.rowCount ?? 0) > 0;
}

export interface CaseFilter {
  status: Status | null;
  district: string;
  mode: Mode | null;
  overdue: boolean;
  /** Cursor: the last row of the previous page. */
  after?: { receivedAt: string; id: string };
  limit: number;
}

export async function listCases(q: Queryable, f: CaseFilter): Promise<CaseRow[]> {
  const r = await q.query<CaseRow>(
    `${SELECT_CASE}
      WHERE ($1::text IS NULL OR status = $1) AND ($2 = '' OR district = $2) AND ($3::text IS NULL OR mode = $3) AND (NOT $4 OR cardinality(missed) > 0)
        AND ($5::timestamptz IS NULL OR (received_at, id) < ($5, $6::uuid))
      ORDER BY received_at DESC, id DESC LIMIT $7`,
    [f.status, f.district, f.mode, f.overdue, f.after?.receivedAt ?? null, f.after?.id ?? null, f.limit],
  );
  return r.rows;
}

export async function countCases(q: Queryable, district: string): Promise<{ district: string; mode: Mode | null; status: Status; cases: bigint }[]> {
  const r = await q.query<{ district: string; mode: Mode | null; status: Status; cases: bigint }>(
    `SELECT district, mode, status, count(*) AS cases FROM cases WHERE ($1 = '' OR district = $1) GROUP BY district, mode, status ORDER BY district, mode NULLS FIRST, status`,
    [district],
  );
  return r.rows;
}

/** The audit trail of a case. */
export async function stepsOf(q: Queryable, caseId: string): Promise<{ step: string; from_status: string | null; to_status: string; actor: string; at: Date }[]> {
  return (await q.query('SELECT step, from_status, to_status, actor, at FROM case_steps WHERE case_id = $1 ORDER BY seq', [caseId])).rows;
}
