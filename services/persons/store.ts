/** SQL of the persons schema. Throws only AppErrors of its own meaning (never gRPC statuses). */
import { failedPrecondition } from '../lib/errors';
import { addMonths, type YearMonth } from '../lib/civil';
import { toJson, type Queryable, type Tx } from '../lib/db';
import type { PeriodDraft, PeriodTerms } from './domain/benefits';
import type { Attributes, Category, IdentitySpan, MonthlyBenefit, Status, StatusEvent } from './domain/types';


/**
 * Inserts rows through `jsonb_to_recordset` in chunks: one parameter per chunk, whatever the row
 * count. `columns` maps each column to its SQL type.
 */
export async function bulkInsert(tx: Queryable, table: string, columns: Record<string, string>, rows: readonly object[], chunk = 5000): Promise<void> {
  const names = Object.keys(columns);
  const def = names.map((n) => `${n} ${columns[n]}`).join(', ');
  for (let i = 0; i < rows.length; i += chunk) {
    await tx.query(`INSERT INTO ${table} (${names.join(', ')}) SELECT ${names.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(${def})`, [
      toJson(rows.slice(i, i + chunk)),
    ]);
  }
}

// ---- change requests ----

export type ChangeStatus = 'OPEN' | 'PROPOSED' | 'APPROVED' | 'REJECTED';

export interface ChangeRow {
  id: string;
  kind: string;
  status: ChangeStatus;
  person_id: string | null;
  id_masked: string | null;
  base_version: bigint;
  effective_date: string | null;
  summary: string;
  payload_enc: string | null;
  proposed_by: string;
  proposed_via: string | null;
  proposed_at: Date;
  decided_by: string | null;
  decided_via: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  import_key: string | null;
  origin: string | null;
  record_count: number;
}

export interface NewChange {
  id: string;
  kind: string;
  status: ChangeStatus;
  personId: string | null;
  idMasked: string | null;
  baseVersion: bigint;
  effectiveDate: string | null;
  summary: string;
  payloadEnc: string | null;
  proposedBy: string;
  proposedVia: string | null;
  importKey?: string;
  recordCount?: number;
  origin?: string;
}

/** Inserts a change request; a second pending change of one person is FAILED_PRECONDITION `PENDING_CHANGE_EXISTS`. */
export async function insertChange(q: Queryable, c: NewChange): Promise<ChangeRow> {
  try {
    const r = await q.query<ChangeRow>(
      `INSERT INTO change_requests (id, kind, status, person_id, id_masked, base_version, effective_date, summary, payload_enc,
         proposed_by, proposed_via, import_key, record_count, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [c.id, c.kind, c.status, c.personId, c.idMasked, c.baseVersion, c.effectiveDate, c.summary, c.payloadEnc, c.proposedBy, c.proposedVia, c.importKey ?? null, c.recordCount ?? 0, c.origin ?? null],
    );
    return r.rows[0]!;
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'change_requests_one_pending_per_person') {
      throw failedPrecondition('PENDING_CHANGE_EXISTS', 'this person already has a pending change; approve or reject it first');
    }
    throw err;
  }
}

export async function getChange(q: Queryable, id: string, lock = false): Promise<ChangeRow | undefined> {
  const r = await q.query<ChangeRow>(`SELECT * FROM change_requests WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0];
}

export async function changeByOrigin(q: Queryable, origin: string): Promise<ChangeRow | undefined> {
  return (await q.query<ChangeRow>('SELECT * FROM change_requests WHERE origin = $1', [origin])).rows[0];
}

export async function getImportChange(q: Queryable, key: string): Promise<ChangeRow | undefined> {
  const r = await q.query<ChangeRow>('SELECT * FROM change_requests WHERE import_key = $1', [key]);
  return r.rows[0];
}

export async function decideChange(tx: Tx, id: string, status: 'APPROVED' | 'REJECTED', by: string, via: string | null, note: string | null): Promise<ChangeRow> {
  const r = await tx.query<ChangeRow>(
    `UPDATE change_requests SET status = $2, decided_by = $3, decided_via = $4, decided_at = clock_timestamp(), decision_note = $5
      WHERE id = $1 RETURNING *`,
    [id, status, by, via, note],
  );
  return r.rows[0]!;
}

/**
 * Change requests, newest first. The cursor's time is a JS Date (milliseconds) while proposed_at
 * has microseconds, so the exact position is taken from the cursor's row when it still exists.
 */
export async function listChanges(
  q: Queryable,
  f: { status?: ChangeStatus; personId?: string; proposedBy?: string; after?: { at: string; id: string }; limit: number },
): Promise<ChangeRow[]> {
  const r = await q.query<ChangeRow>(
    `SELECT * FROM change_requests
      WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR person_id = $2) AND ($6::text IS NULL OR proposed_by = $6)
        AND ($3::timestamptz IS NULL OR (proposed_at, id) < (COALESCE((SELECT x.proposed_at FROM change_requests x WHERE x.id = $4::uuid), $3), $4::uuid))
      ORDER BY proposed_at DESC, id DESC LIMIT $5`,
    [f.status ?? null, f.personId ?? null, f.after?.at ?? null, f.after?.id ?? null, f.limit, f.proposedBy ?? null],
  );
  return r.rows;
}

// ---- staged persons (registrations and imports) ----

/** The personal record as stored (PII columns encrypted, masked forms beside them). */
interface PersonRecord {
  id_hash: string;
  id_enc: string;
  id_masked: string;
  name_enc: string;
  gender: string;
  birth_date: string;
  district: string;
  residence: string;
  contact_enc: string;
  approval_date: string;
  payee_bank: string;
  payee_account_enc: string;
  payee_account_masked: string;
  payee_name_enc: string;
}

/** A person as proposed, PII already encrypted. */
export interface StagedPerson extends PersonRecord {
  change_id: string;
  row_no: number;
  person_id: string;
  history_from: string | null;
  /** Identities with their future ids. */
  identities: StagedIdentity[];
}

export interface StagedIdentity {
  id: string;
  attrs: Attributes;
  from: string;
}

const STAGED_COLUMNS = {
  change_id: 'uuid',
  row_no: 'int',
  person_id: 'uuid',
  id_hash: 'text',
  id_enc: 'text',
  id_masked: 'text',
  name_enc: 'text',
  gender: 'text',
  birth_date: 'date',
  district: 'char(6)',
  residence: 'text',
  contact_enc: 'text',
  approval_date: 'date',
  history_from: 'char(7)',
  payee_bank: 'text',
  payee_account_enc: 'text',
  payee_account_masked: 'text',
  payee_name_enc: 'text',
  identities: 'jsonb',
};

/**
 * Stages persons; a row whose ID hash is already claimed (pending or registered) or whose row
 * number is taken in the change is skipped. Returns the row numbers inserted.
 */
export async function stagePersons(tx: Queryable, rows: readonly StagedPerson[]): Promise<Set<number>> {
  if (!rows.length) return new Set();
  const names = Object.keys(STAGED_COLUMNS);
  const def = names.map((n) => `${n} ${STAGED_COLUMNS[n as keyof typeof STAGED_COLUMNS]}`).join(', ');
  const r = await tx.query<{ row_no: number }>(
    `INSERT INTO staged_persons (${names.join(', ')})
     SELECT ${names.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(${def})
     ON CONFLICT DO NOTHING RETURNING row_no`,
    [toJson(rows)],
  );
  return new Set(r.rows.map((x) => x.row_no));
}

/** Who holds each claimed ID hash: its change, row and the change's status. */
export async function claims(q: Queryable, hashes: readonly string[]): Promise<Map<string, { changeId: string; rowNo: number; status: ChangeStatus }>> {
  if (!hashes.length) return new Map();
  const r = await q.query<{ id_hash: string; change_id: string; row_no: number; status: ChangeStatus }>(
    `SELECT s.id_hash, s.change_id, s.row_no, c.status FROM staged_persons s JOIN change_requests c ON c.id = s.change_id
      WHERE s.id_hash = ANY($1) AND NOT s.released`,
    [hashes],
  );
  return new Map(r.rows.map((x) => [x.id_hash, { changeId: x.change_id, rowNo: x.row_no, status: x.status }]));
}

/** Rows of a change already staged, by row number → id hash. */
export async function stagedRows(q: Queryable, changeId: string, rowNos: readonly number[]): Promise<Map<number, string>> {
  if (!rowNos.length) return new Map();
  const r = await q.query<{ row_no: number; id_hash: string }>('SELECT row_no, id_hash FROM staged_persons WHERE change_id = $1 AND row_no = ANY($2)', [changeId, rowNos]);
  return new Map(r.rows.map((x) => [x.row_no, x.id_hash]));
}

export async function loadStaged(q: Queryable, changeId: string): Promise<StagedPerson[]> {
  const r = await q.query<StagedPerson>('SELECT * FROM staged_persons WHERE change_id = $1 ORDER BY row_no', [changeId]);
  return r.rows;
}

export async function releaseStaged(tx: Tx, changeId: string): Promise<void> {
  await tx.query('UPDATE staged_persons SET released = true WHERE change_id = $1', [changeId]);
}

// ---- persons ----

export interface PersonRow extends PersonRecord {
  id: string;
  history_from: string;
  status: Status;
  status_date: string;
  status_reason: string | null;
  death_cause: string | null;
  categories: string[];
  version: bigint;
  registered_by: string;
  registered_at: Date;
  updated_at: Date;
}

export interface IdentityRow {
  id: string;
  person_id: string;
  category: Category;
  grade: number;
  cause: Attributes['cause'];
  enlistment_period: Attributes['enlistmentPeriod'];
  service_years: number;
  mental_disorder: boolean;
  effective_from: string;
  effective_to: string | null;
}

export const identitySpan = (r: IdentityRow): IdentitySpan => ({
  id: r.id,
  attrs: { category: r.category, grade: r.grade, cause: r.cause, enlistmentPeriod: r.enlistment_period, serviceYears: r.service_years, mentalDisorder: r.mental_disorder },
  from: r.effective_from,
  to: r.effective_to,
});

export async function getPerson(q: Queryable, id: string, lock = false): Promise<PersonRow | undefined> {
  const r = await q.query<PersonRow>(`SELECT * FROM persons WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0];
}

export async function personByHash(q: Queryable, hash: string): Promise<PersonRow | undefined> {
  const r = await q.query<PersonRow>('SELECT * FROM persons WHERE id_hash = $1', [hash]);
  return r.rows[0];
}

export async function identitiesOf(q: Queryable, personIds: readonly string[]): Promise<Map<string, IdentityRow[]>> {
  const out = new Map<string, IdentityRow[]>(personIds.map((id) => [id, []]));
  if (!personIds.length) return out;
  const r = await q.query<IdentityRow>('SELECT * FROM identities WHERE person_id = ANY($1) ORDER BY effective_from, id', [personIds]);
  for (const row of r.rows) out.get(row.person_id)?.push(row);
  return out;
}

export async function statusEventsOf(q: Queryable, personId: string): Promise<StatusEvent[]> {
  return (await statusEventsOfMany(q, [personId])).get(personId)!;
}

/** The status events of several persons (one query), each in recorded order. */
export async function statusEventsOfMany(q: Queryable, personIds: readonly string[]): Promise<Map<string, StatusEvent[]>> {
  const out = new Map<string, StatusEvent[]>(personIds.map((id) => [id, []]));
  if (!personIds.length) return out;
  const r = await q.query<{ person_id: string; status: Status; effective_date: string; reason: string | null; death_cause: StatusEvent['deathCause'] }>(
    'SELECT person_id, status, effective_date, reason, death_cause FROM status_events WHERE person_id = ANY($1) ORDER BY seq',
    [personIds],
  );
  for (const x of r.rows) out.get(x.person_id)?.push({ status: x.status, date: x.effective_date, reason: x.reason, deathCause: x.death_cause });
  return out;
}

export async function listPersons(
  q: Queryable,
  f: { category?: string; district?: string; status?: string; after?: string; limit: number },
): Promise<PersonRow[]> {
  const r = await q.query<PersonRow>(
    `SELECT * FROM persons
      WHERE ($1::text IS NULL OR categories @> ARRAY[$1::text]) AND ($2::text IS NULL OR district = $2)
        AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR id > $4)
      ORDER BY id LIMIT $5`,
    [f.category ?? null, f.district ?? null, f.status ?? null, f.after ?? null, f.limit],
  );
  return r.rows;
}

/** Registers every staged person of a change (copying their encrypted columns). */
export async function registerStaged(tx: Tx, changeId: string, historyFrom: ReadonlyMap<string, YearMonth>): Promise<void> {
  await tx.query(
    `INSERT INTO persons (id, id_hash, id_enc, id_masked, name_enc, gender, birth_date, district, residence, contact_enc,
        approval_date, history_from, payee_bank, payee_account_enc, payee_account_masked, payee_name_enc, status, status_date,
        categories, registered_by)
     SELECT s.person_id, s.id_hash, s.id_enc, s.id_masked, s.name_enc, s.gender, s.birth_date, s.district, s.residence, s.contact_enc,
        s.approval_date, h.history_from, s.payee_bank, s.payee_account_enc, s.payee_account_masked, s.payee_name_enc, 'ACTIVE', s.approval_date,
        ARRAY(SELECT DISTINCT e->'attrs'->>'category' FROM jsonb_array_elements(s.identities) e ORDER BY 1), s.change_id
       FROM staged_persons s JOIN jsonb_to_recordset($2::jsonb) AS h(person_id uuid, history_from char(7)) ON h.person_id = s.person_id
      WHERE s.change_id = $1`,
    [changeId, toJson([...historyFrom].map(([person_id, history_from]) => ({ person_id, history_from })))],
  );
  await tx.query(
    `INSERT INTO identities (id, person_id, category, grade, cause, enlistment_period, service_years, mental_disorder, effective_from, recorded_by)
     SELECT (e->>'id')::uuid, s.person_id, e->'attrs'->>'category', (e->'attrs'->>'grade')::smallint, e->'attrs'->>'cause',
            e->'attrs'->>'enlistmentPeriod', (e->'attrs'->>'serviceYears')::smallint, (e->'attrs'->>'mentalDisorder')::boolean,
            (e->>'from')::date, s.change_id
       FROM staged_persons s, jsonb_array_elements(s.identities) e WHERE s.change_id = $1`,
    [changeId],
  );
  await tx.query(
    `INSERT INTO status_events (person_id, status, effective_date, change_id)
     SELECT person_id, 'ACTIVE', approval_date, change_id FROM staged_persons WHERE change_id = $1 ORDER BY row_no`,
    [changeId],
  );
}

/** Writes a person's new state after a change, increasing the version. */
export async function updatePerson(
  tx: Tx,
  id: string,
  u: {
    status: Status;
    statusDate: string;
    statusReason: string | null;
    deathCause: string | null;
    categories: string[];
    payee?: { bank: string; accountEnc: string; accountMasked: string; nameEnc: string };
    contactEnc?: string;
  },
): Promise<PersonRow> {
  const r = await tx.query<PersonRow>(
    `UPDATE persons SET status = $2, status_date = $3, status_reason = $4, death_cause = $5, categories = $6,
        payee_bank = COALESCE($7, payee_bank), payee_account_enc = COALESCE($8, payee_account_enc),
        payee_account_masked = COALESCE($9, payee_account_masked), payee_name_enc = COALESCE($10, payee_name_enc),
        contact_enc = COALESCE($11, contact_enc), version = version + 1, updated_at = clock_timestamp()
      WHERE id = $1 RETURNING *`,
    [id, u.status, u.statusDate, u.statusReason, u.deathCause, u.categories, u.payee?.bank ?? null, u.payee?.accountEnc ?? null, u.payee?.accountMasked ?? null, u.payee?.nameEnc ?? null, u.contactEnc ?? null],
  );
  return r.rows[0]!;
}

export async function endIdentity(tx: Tx, id: string, to: string, changeId: string): Promise<void> {
  await tx.query('UPDATE identities SET effective_to = $2, ended_by = $3 WHERE id = $1', [id, to, changeId]);
}

export async function insertIdentity(tx: Tx, personId: string, i: IdentitySpan, changeId: string): Promise<void> {
  await tx.query(
    `INSERT INTO identities (id, person_id, category, grade, cause, enlistment_period, service_years, mental_disorder, effective_from, effective_to, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [i.id, personId, i.attrs.category, i.attrs.grade, i.attrs.cause, i.attrs.enlistmentPeriod, i.attrs.serviceYears, i.attrs.mentalDisorder, i.from, i.to, changeId],
  );
}

export async function insertStatusEvent(tx: Tx, personId: string, e: StatusEvent, changeId: string): Promise<void> {
  await tx.query('INSERT INTO status_events (person_id, status, effective_date, reason, death_cause, change_id) VALUES ($1, $2, $3, $4, $5, $6)', [
    personId,
    e.status,
    e.date,
    e.reason,
    e.deathCause,
    changeId,
  ]);
}

// ---- benefits ----

export interface PeriodRow {
  id: string;
  person_id: string;
  benefit: MonthlyBenefit;
  from_month: string;
  to_month: string | null;
  monthly_fen: bigint;
  identity_id: string;
  category: Category;
  versions: string[];
  missing: string[];
  recorded_by: string;
  superseded_by: string | null;
  recorded_at: Date;
}

/** What a re-derivation and the adjustment read of a current period. */
export type CurrentPeriod = Pick<PeriodRow, 'person_id' | 'benefit' | 'from_month' | 'to_month' | 'monthly_fen' | 'category'>;

export const periodTerms = (r: CurrentPeriod): PeriodTerms => ({ benefit: r.benefit, from: r.from_month, to: r.to_month, monthlyFen: r.monthly_fen });

export async function periodsOf(q: Queryable, personId: string, includeSuperseded = false): Promise<PeriodRow[]> {
  const r = await q.query<PeriodRow>(
    `SELECT * FROM benefit_periods WHERE person_id = $1 ${includeSuperseded ? '' : 'AND superseded_by IS NULL'}
      ORDER BY benefit, from_month, recorded_at`,
    [personId],
  );
  return r.rows;
}

/** The current periods of several persons (one query). */
export async function currentPeriodsOfMany(q: Queryable, personIds: readonly string[]): Promise<Map<string, PeriodRow[]>> {
  const out = new Map<string, PeriodRow[]>(personIds.map((id) => [id, []]));
  if (!personIds.length) return out;
  const r = await q.query<PeriodRow>('SELECT * FROM benefit_periods WHERE person_id = ANY($1) AND superseded_by IS NULL ORDER BY benefit, from_month, recorded_at', [personIds]);
  for (const p of r.rows) out.get(p.person_id)?.push(p);
  return out;
}

/** The current periods' terms of several persons (one query, only the columns a re-derivation reads). */
export async function currentTermsOfMany(q: Queryable, personIds: readonly string[]): Promise<Map<string, CurrentPeriod[]>> {
  const out = new Map<string, CurrentPeriod[]>(personIds.map((id) => [id, []]));
  if (!personIds.length) return out;
  const r = await q.query<CurrentPeriod>(
    'SELECT person_id, benefit, from_month, to_month, monthly_fen, category FROM benefit_periods WHERE person_id = ANY($1) AND superseded_by IS NULL ORDER BY benefit, from_month, recorded_at',
    [personIds],
  );
  for (const p of r.rows) out.get(p.person_id)?.push(p);
  return out;
}

const PERIOD_COLUMNS = {
  id: 'uuid',
  person_id: 'uuid',
  benefit: 'text',
  from_month: 'char(7)',
  to_month: 'char(7)',
  monthly_fen: 'int8',
  identity_id: 'uuid',
  category: 'text',
  versions: 'text[]',
  missing: 'text[]',
  recorded_by: 'uuid',
};

export interface NewPeriod extends PeriodDraft {
  id: string;
  personId: string;
  changeId: string;
}

export async function insertPeriods(tx: Queryable, ps: readonly NewPeriod[]): Promise<void> {
  await bulkInsert(
    tx,
    'benefit_periods',
    PERIOD_COLUMNS,
    ps.map((p) => ({
      id: p.id,
      person_id: p.personId,
      benefit: p.benefit,
      from_month: p.from,
      to_month: p.to,
      monthly_fen: p.monthlyFen,
      identity_id: p.identityId,
      category: p.category,
      versions: p.versions,
      missing: p.missing,
      recorded_by: p.changeId,
    })),
  );
}

/**
 * Replaces persons' current periods, each from its month `from` on: rows reaching into it are
 * marked superseded (the part before `from` is re-recorded by this change) and the drafts are
 * added. Two statements for any number of persons.
 */
export async function replacePeriodsFrom(tx: Tx, items: readonly { personId: string; from: YearMonth; drafts: readonly PeriodDraft[] }[], changeId: string, newId: () => string): Promise<void> {
  if (!items.length) return;
  const old = await tx.query<PeriodRow & { cut: string }>(
    `UPDATE benefit_periods bp SET superseded_by = $3
       FROM unnest($1::uuid[], $2::text[]) AS x(person_id, cut)
      WHERE bp.person_id = x.person_id AND bp.superseded_by IS NULL AND (bp.to_month IS NULL OR bp.to_month >= x.cut) RETURNING bp.*, x.cut`,
    [items.map((i) => i.personId), items.map((i) => i.from), changeId],
  );
  const before = old.rows
    .filter((r) => r.from_month < r.cut)
    .map((r): NewPeriod => ({
      id: newId(),
      personId: r.person_id,
      changeId,
      benefit: r.benefit,
      from: r.from_month,
      to: addMonths(r.cut, -1),
      monthlyFen: r.monthly_fen,
      identityId: r.identity_id,
      category: r.category,
      versions: r.versions,
      missing: r.missing,
    }));
  await insertPeriods(tx, [...before, ...items.flatMap((i) => i.drafts.map((d) => ({ ...d, id: newId(), personId: i.personId, changeId })))]);
}

/** Months a payroll has run for, from `from` on. */
export async function closedMonths(q: Queryable, from: YearMonth): Promise<YearMonth[]> {
  const r = await q.query<{ month: string }>('SELECT month FROM payroll_runs WHERE month >= $1 ORDER BY month', [from]);
  return r.rows.map((x) => x.month);
}

/**
 * What is settled per person and (benefit, month) from `from` on (keyed by `paidKey`): regular
 * payroll lines plus adjustment lines. One statement for any number of persons.
 */
export async function settledAmounts(q: Queryable, personIds: readonly string[], from: YearMonth): Promise<Map<string, Map<string, bigint>>> {
  const out = new Map<string, Map<string, bigint>>(personIds.map((id) => [id, new Map()]));
  if (!personIds.length) return out;
  const r = await q.query<{ person_id: string; benefit: MonthlyBenefit; month: string; fen: bigint }>(
    // Per person through the indexes (LATERAL): with `= ANY` of a page of ids the planner may pick a
    // sequential scan of every payroll line.
    `SELECT x.person_id, s.benefit, s.month, sum(s.fen)::int8 AS fen FROM unnest($1::uuid[]) AS x(person_id)
       CROSS JOIN LATERAL (
         SELECT benefit, for_month AS month, amount_fen AS fen FROM payroll_lines WHERE person_id = x.person_id AND kind = 'REGULAR' AND for_month >= $2
         UNION ALL
         SELECT benefit, month, amount_fen FROM adjustment_lines WHERE person_id = x.person_id AND month >= $2 AND benefit IN ('PENSION', 'NURSING_FEE')
       ) s GROUP BY x.person_id, s.benefit, s.month`,
    [personIds, from],
  );
  for (const x of r.rows) out.get(x.person_id)?.set(`${x.benefit}|${x.month}`, x.fen);
  return out;
}

/** The funeral subsidy recorded per person (all sources), fen. */
export async function funeralRecorded(q: Queryable, personIds: readonly string[]): Promise<Map<string, bigint>> {
  if (!personIds.length) return new Map();
  const r = await q.query<{ person_id: string; fen: bigint }>(
    `SELECT x.person_id, s.fen FROM unnest($1::uuid[]) AS x(person_id)
       CROSS JOIN LATERAL (SELECT sum(amount_fen)::int8 AS fen FROM adjustment_lines WHERE person_id = x.person_id AND benefit = 'FUNERAL_SUBSIDY') s WHERE s.fen IS NOT NULL`,
    [personIds],
  );
  return new Map(r.rows.map((x) => [x.person_id, x.fen]));
}

export interface NewAdjustment {
  id: string;
  personId: string;
  benefit: string;
  month: YearMonth;
  source: string;
  kind: 'BACK_PAY' | 'OVERPAYMENT' | 'ONE_OFF';
  amountFen: bigint;
  category: string | null;
}

export async function insertAdjustments(tx: Queryable, lines: readonly NewAdjustment[]): Promise<void> {
  await bulkInsert(
    tx,
    'adjustment_lines',
    { id: 'uuid', person_id: 'uuid', benefit: 'text', month: 'char(7)', source: 'text', kind: 'text', amount_fen: 'int8', category: 'text' },
    lines.map((l) => ({ id: l.id, person_id: l.personId, benefit: l.benefit, month: l.month, source: l.source, kind: l.kind, amount_fen: l.amountFen, category: l.category })),
  );
}

export interface AdjustmentRow {
  id: string;
  person_id: string;
  benefit: string;
  month: string;
  source: string;
  kind: 'BACK_PAY' | 'OVERPAYMENT' | 'ONE_OFF';
  amount_fen: bigint;
  settled_fen: bigint;
  recorded_at: Date;
}

export async function adjustmentsOf(q: Queryable, personId: string): Promise<AdjustmentRow[]> {
  const r = await q.query<AdjustmentRow>(
    `SELECT a.*, COALESCE((SELECT abs(sum(l.amount_fen))::int8 FROM payroll_lines l WHERE l.adjustment_id = a.id), 0::int8) AS settled_fen
       FROM adjustment_lines a WHERE a.person_id = $1 ORDER BY a.seq`,
    [personId],
  );
  return r.rows;
}

/** Months in which a standards version seen on youfu.standards.v1 takes effect. */
export async function versionMonths(q: Queryable): Promise<YearMonth[]> {
  const r = await q.query<{ m: string }>("SELECT DISTINCT to_char(effective_from, 'YYYY-MM') AS m FROM standard_versions ORDER BY 1");
  return r.rows.map((x) => x.m);
}

/** Changes whenever a standards version is recorded (a derivation compares it before and after its quotes). */
export async function versionsStamp(q: Queryable): Promise<string> {
  const r = await q.query<{ stamp: string }>("SELECT count(*) || '/' || coalesce(max(recorded_at)::text, '') AS stamp FROM standard_versions");
  return r.rows[0]!.stamp;
}

export async function recordVersion(q: Queryable, v: { id: string; level: string; region: string; effectiveFrom: string; supersedes: string | null }): Promise<void> {
  await q.query(
    `INSERT INTO standard_versions (version_id, level, region_code, effective_from, superseded_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (version_id) DO NOTHING`,
    [v.id, v.level, v.region, v.effectiveFrom, v.supersedes],
  );
}

// ---- audit ----

export interface AuditEntry {
  personId: string;
  changeId: string | null;
  action: string;
  actor: string;
  actorRole: string;
  via: string | null;
  proposedBy: string | null;
  before: unknown;
  after: unknown;
}

export async function insertAudit(tx: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  await bulkInsert(
    tx,
    'audit_log',
    { person_id: 'uuid', change_id: 'uuid', action: 'text', actor: 'text', actor_role: 'text', via: 'text', proposed_by: 'text', before: 'jsonb', after: 'jsonb' },
    entries.map((e) => ({
      person_id: e.personId,
      change_id: e.changeId,
      action: e.action,
      actor: e.actor,
      actor_role: e.actorRole,
      via: e.via,
      proposed_by: e.proposedBy,
      before: e.before ?? null,
      after: e.after,
    })),
    2000,
  );
}

export interface AuditRow {
  at: Date;
  change_id: string | null;
  action: string;
  actor: string;
  actor_role: string;
  via: string | null;
  proposed_by: string | null;
  before: unknown;
  after: unknown;
}

const AUDIT_COLUMNS = 'at, change_id, action, actor, actor_role, via, proposed_by, before, after';

export async function auditOf(q: Queryable, personId: string): Promise<AuditRow[]> {
  const r = await q.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE person_id = $1 ORDER BY seq`, [personId]);
  return r.rows;
}

/** The audit entry a change's approval wrote for one person. */
export async function auditOfChange(q: Queryable, personId: string, changeId: string): Promise<AuditRow | undefined> {
  const r = await q.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE person_id = $1 AND change_id = $2`, [personId, changeId]);
  return r.rows[0];
}

/** Serialises money-moving writers against payroll runs (approvals shared, payroll exclusive). */
export const PAYROLL_LOCK = 'youfu.persons.payroll';
export async function lockPayrollShared(tx: Tx): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))', [PAYROLL_LOCK]);
}
export async function lockPayrollExclusive(tx: Tx): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [PAYROLL_LOCK]);
}

/** One stored payroll line with its payee (encrypted and masked forms). */
export interface PayrollLineRow {
  id: bigint;
  person_id: string;
  benefit: string;
  kind: 'REGULAR' | 'BACK_PAY' | 'RECOVERY' | 'ONE_OFF';
  for_month: string;
  amount_fen: bigint;
  category: string | null;
  district: string;
  payee_bank: string;
  payee_account_enc: string;
  payee_account_masked: string;
  payee_name_enc: string;
}

/** A page of the lines of the payroll run of `month` (keyset on id), optionally of one person. */
export async function payrollLines(q: Queryable, month: string, personId: string | null, afterId: string | null, limit: number) {
  return q.query<PayrollLineRow>(
    `SELECT id, person_id, benefit, kind, for_month, amount_fen, category, district, payee_bank, payee_account_enc, payee_account_masked, payee_name_enc
       FROM payroll_lines WHERE run_month = $1 AND ($2::uuid IS NULL OR person_id = $2) AND ($3::int8 IS NULL OR id > $3)
      ORDER BY id LIMIT $4`,
    [month, personId, afterId, limit],
  );
}

// ---- the annual adjustment's simulation (simulation.ts) ----

export interface ImpactRow {
  person_id: string;
  district: string;
  category: string | null;
  simulated: boolean;
  person_version: bigint | null;
  old_monthly_fen: bigint | null;
  new_monthly_fen: bigint | null;
  back_pay_fen: bigint | null;
  budget_to_december_fen: bigint | null;
  funeral_top_up_fen: bigint | null;
  applied: boolean;
  applied_person_version: bigint | null;
  applied_back_pay_fen: bigint | null;
  applied_funeral_fen: bigint | null;
  applied_new_monthly_fen: bigint | null;
}

/**
 * A run attempt's impacts beside what its apply wrote (once applied), by person: simulated persons,
 * and persons applied without a simulation row (registered since). `changedOnly`: applied with
 * another person version than simulated, or not simulated.
 */
export async function impactsOf(q: Queryable, attemptId: string, after: string | null, limit: number, changedOnly: boolean): Promise<ImpactRow[]> {
  const { rows } = await q.query<ImpactRow>(
    `WITH i AS (SELECT * FROM adjustment_impacts WHERE run_id = $1),
          m AS (SELECT m.* FROM adjustment_markers m JOIN adjustment_applies a ON a.change_id = m.change_id WHERE a.attempt_id = $1)
     SELECT coalesce(i.person_id, m.person_id) AS person_id, coalesce(i.district, p.district) AS district, coalesce(i.category, p.categories[1]) AS category,
            i.person_id IS NOT NULL AS simulated, i.person_version, i.old_monthly_fen, i.new_monthly_fen, i.back_pay_fen, i.budget_to_december_fen, i.funeral_top_up_fen,
            m.person_id IS NOT NULL AS applied, m.person_version AS applied_person_version, m.back_pay_fen AS applied_back_pay_fen,
            m.funeral_fen AS applied_funeral_fen, m.new_monthly_fen AS applied_new_monthly_fen
       FROM i FULL JOIN m ON m.person_id = i.person_id
       JOIN persons p ON p.id = coalesce(i.person_id, m.person_id)
      WHERE ($2::uuid IS NULL OR coalesce(i.person_id, m.person_id) > $2)
        AND (NOT $4 OR (m.person_id IS NOT NULL AND i.person_version IS DISTINCT FROM m.person_version))
      ORDER BY 1 LIMIT $3`,
    [attemptId, after, limit, changedOnly],
  );
  return rows;
}

export interface ImpactTotalRow {
  grp: string | null;
  persons: string;
  affected: string;
  back_pay: string;
  monthly_change: string;
  budget: string;
  funeral: string;
}

/** Totals of a run's impacts: overall, by category and by district (one statement). */
export async function impactTotals(q: Queryable, runId: string): Promise<{ total: ImpactTotalRow; byCategory: ImpactTotalRow[]; byDistrict: ImpactTotalRow[] }> {
  const { rows } = await q.query<ImpactTotalRow & { dim: 'all' | 'category' | 'district' }>(
    `SELECT CASE WHEN GROUPING(category) = 0 THEN 'category' WHEN GROUPING(district) = 0 THEN 'district' ELSE 'all' END AS dim,
            coalesce(category, district) AS grp, count(*)::text AS persons,
            count(*) FILTER (WHERE back_pay_fen <> 0 OR funeral_top_up_fen <> 0 OR new_monthly_fen <> old_monthly_fen)::text AS affected,
            coalesce(sum(back_pay_fen), 0)::text AS back_pay, coalesce(sum(new_monthly_fen - old_monthly_fen), 0)::text AS monthly_change,
            coalesce(sum(budget_to_december_fen), 0)::text AS budget, coalesce(sum(funeral_top_up_fen), 0)::text AS funeral
       FROM adjustment_impacts WHERE run_id = $1
      GROUP BY GROUPING SETS ((), (category), (district)) ORDER BY 1, 2`,
    [runId],
  );
  const empty: ImpactTotalRow = { grp: null, persons: '0', affected: '0', back_pay: '0', monthly_change: '0', budget: '0', funeral: '0' };
  return {
    total: rows.find((r) => r.dim === 'all') ?? empty,
    byCategory: rows.filter((r) => r.dim === 'category'),
    byDistrict: rows.filter((r) => r.dim === 'district'),
  };
}
