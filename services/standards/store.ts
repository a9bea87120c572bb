/** SQL for the `standards` schema. No rules here: the handlers decide, the store reads and writes. */
import type { CivilDate } from '../lib/civil';
import type { Queryable } from '../lib/db';
import type { Cause, Category, Component, Period, Row, RowKey, Rule } from './domain/keys';
import type { IndexKind } from './domain/lookup';
import type { Level, Status, Version, VersionHead } from './domain/versions';

interface VersionRecord {
  id: string;
  title: string;
  document_number: string;
  source: string;
  level: Level;
  region_code: string;
  effective_from: CivilDate;
  status: Status;
  base_version_id: string | null;
  corrects_version_id: string | null;
  superseded_by_version_id: string | null;
  revision: bigint;
  created_by: string;
  created_at: Date;
  edited_by: string[];
  approved_by: string | null;
  approved_at: Date | null;
  published_by: string | null;
  published_at: Date | null;
  row_count: number;
  discarded_by: string | null;
  discarded_at: Date | null;
  discard_reason: string | null;
}

const VERSION_COLUMNS = `v.id, v.title, v.document_number, v.source, v.level, v.region_code, v.effective_from, v.status,
  v.base_version_id, v.corrects_version_id, v.superseded_by_version_id, v.revision, v.created_by, v.created_at, v.edited_by,
  v.approved_by, v.approved_at, v.published_by, v.published_at, v.discarded_by, v.discarded_at, v.discard_reason,
  (SELECT count(*)::int FROM version_rows r WHERE r.version_id = v.id) AS row_count`;

const toVersion = (r: VersionRecord): Version => ({
  id: r.id,
  title: r.title,
  documentNumber: r.document_number,
  source: r.source,
  level: r.level,
  regionCode: r.region_code,
  effectiveFrom: r.effective_from,
  status: r.status,
  baseVersionId: r.base_version_id,
  correctsVersionId: r.corrects_version_id,
  supersededByVersionId: r.superseded_by_version_id,
  revision: r.revision,
  createdBy: r.created_by,
  createdAt: r.created_at,
  editedBy: r.edited_by,
  approvedBy: r.approved_by,
  approvedAt: r.approved_at,
  publishedBy: r.published_by,
  publishedAt: r.published_at,
  rowCount: r.row_count,
  discardedBy: r.discarded_by,
  discardedAt: r.discarded_at,
  discardReason: r.discard_reason,
});

/** Discards a DRAFT or APPROVED version (the caller checked it). */
export async function discardVersion(q: Queryable, id: string, by: string, reason: string, at: Date): Promise<void> {
  await q.query("UPDATE versions SET status = 'DISCARDED', revision = revision + 1, discarded_by = $2, discarded_at = $3, discard_reason = $4 WHERE id = $1", [id, by, at, reason]);
}

/** One version; `forUpdate` locks it for the rest of the transaction. */
export async function getVersion(q: Queryable, id: string, forUpdate = false): Promise<Version | undefined> {
  const { rows } = await q.query<VersionRecord>(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.id = $1${forUpdate ? ' FOR UPDATE OF v' : ''}`, [id]);
  return rows[0] && toVersion(rows[0]);
}

export interface NewVersion {
  id: string;
  title: string;
  documentNumber: string;
  source: string;
  level: Level;
  regionCode: string;
  effectiveFrom: CivilDate;
  baseVersionId: string | null;
  correctsVersionId: string | null;
  createdBy: string;
  createdAt: Date;
}

/** Inserts a DRAFT. */
export async function insertDraft(q: Queryable, v: NewVersion): Promise<void> {
  await q.query(
    `INSERT INTO versions (id, title, document_number, source, level, region_code, effective_from, status, base_version_id, corrects_version_id, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'DRAFT', $8, $9, $10, $11)`,
    [v.id, v.title, v.documentNumber, v.source, v.level, v.regionCode, v.effectiveFrom, v.baseVersionId, v.correctsVersionId, v.createdBy, v.createdAt],
  );
}

/** Inserts an already published version (the seed); false when it exists. */
export async function insertPublished(q: Queryable, v: NewVersion & { approvedBy: string }): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO versions (id, title, document_number, source, level, region_code, effective_from, status, created_by, created_at,
                           approved_by, approved_at, published_by, published_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'PUBLISHED', $8, $9, $10, $9, $10, $9)
     ON CONFLICT DO NOTHING`,
    [v.id, v.title, v.documentNumber, v.source, v.level, v.regionCode, v.effectiveFrom, v.createdBy, v.createdAt, v.approvedBy],
  );
  return rowCount === 1;
}

/** A change to a version's life cycle; always increments its revision. */
export interface VersionChange {
  status?: Status;
  approvedBy?: string;
  publishedBy?: string;
  supersededByVersionId?: string;
  /** The acting person who changed a draft's rows; added to `edited_by` once. */
  editedBy?: string;
  at: Date;
}

export async function updateVersion(q: Queryable, id: string, c: VersionChange): Promise<void> {
  await q.query(
    `UPDATE versions SET revision = revision + 1,
        status = coalesce($2, status),
        approved_by = coalesce($3, approved_by), approved_at = CASE WHEN $3::text IS NULL THEN approved_at ELSE $6 END,
        published_by = coalesce($4, published_by), published_at = CASE WHEN $4::text IS NULL THEN published_at ELSE $6 END,
        superseded_by_version_id = coalesce($5, superseded_by_version_id),
        edited_by = CASE WHEN $7::text IS NULL OR $7 = created_by OR $7 = ANY (edited_by) THEN edited_by ELSE edited_by || $7::text END
      WHERE id = $1`,
    [id, c.status ?? null, c.approvedBy ?? null, c.publishedBy ?? null, c.supersededByVersionId ?? null, c.at, c.editedBy ?? null],
  );
}

/** The PUBLISHED version of a series with exactly this effective date. */
export async function publishedOn(q: Queryable, level: Level, regionCode: string, effectiveFrom: CivilDate): Promise<VersionHead | undefined> {
  const { rows } = await q.query<VersionRecord>(
    `SELECT id, level, region_code, effective_from FROM versions WHERE status = 'PUBLISHED' AND level = $1 AND region_code = $2 AND effective_from = $3`,
    [level, regionCode, effectiveFrom],
  );
  return rows[0] && head(rows[0]);
}

/** The PUBLISHED version of a series in force just before `date`. */
export async function publishedBefore(q: Queryable, level: Level, regionCode: string, date: CivilDate): Promise<VersionHead | undefined> {
  const { rows } = await q.query<VersionRecord>(
    `SELECT id, level, region_code, effective_from FROM versions
      WHERE status = 'PUBLISHED' AND level = $1 AND region_code = $2 AND effective_from < $3
      ORDER BY effective_from DESC LIMIT 1`,
    [level, regionCode, date],
  );
  return rows[0] && head(rows[0]);
}

const head = (r: Pick<VersionRecord, 'id' | 'level' | 'region_code' | 'effective_from'>): VersionHead => ({
  id: r.id,
  level: r.level,
  regionCode: r.region_code,
  effectiveFrom: r.effective_from,
});

/** Every PUBLISHED version's head (what lookups resolve against). */
export async function publishedHeads(q: Queryable): Promise<VersionHead[]> {
  const { rows } = await q.query<VersionRecord>(`SELECT id, level, region_code, effective_from FROM versions WHERE status = 'PUBLISHED'`);
  return rows.map(head);
}

export interface VersionFilter {
  level?: Level;
  regionCode?: string;
  status?: Status;
}

/** A page of versions, newest effective date first, after the cursor (effective date, id). */
export async function listVersions(q: Queryable, f: VersionFilter, after: { effectiveFrom: CivilDate; id: string } | undefined, limit: number): Promise<Version[]> {
  const { rows } = await q.query<VersionRecord>(
    `SELECT ${VERSION_COLUMNS} FROM versions v
      WHERE ($1::text IS NULL OR v.level = $1) AND ($2::text IS NULL OR v.region_code = $2) AND ($3::text IS NULL OR v.status = $3)
        AND ($4::date IS NULL OR v.effective_from < $4 OR (v.effective_from = $4 AND v.id > $5::uuid))
      ORDER BY v.effective_from DESC, v.id LIMIT $6`,
    [f.level ?? null, f.regionCode ?? null, f.status ?? null, after?.effectiveFrom ?? null, after?.id ?? null, limit],
  );
  return rows.map(toVersion);
}

interface RowRecord {
  version_id: string;
  category: Category;
  cause: Cause | '';
  disability_grade: number;
  enlistment_period: Period | '';
  component: Component;
  rule_kind: Rule['kind'];
  amount_fen: bigint | null;
  share_bp: number | null;
  requires_mental_disorder: boolean;
}

function toRule(r: RowRecord): Rule {
  switch (r.rule_kind) {
    case 'ANNUAL_AMOUNT':
    case 'PER_SERVICE_YEAR_AMOUNT':
      return { kind: r.rule_kind, fen: r.amount_fen! };
    case 'NURSING_FEE_SHARE':
      return { kind: r.rule_kind, bp: r.share_bp!, requiresMentalDisorder: r.requires_mental_disorder };
    case 'INCOME_SHARE':
      return { kind: r.rule_kind, bp: r.share_bp! };
  }
}

const toRow = (r: RowRecord): Row => ({
  key: { category: r.category, cause: r.cause || null, disabilityGrade: r.disability_grade, enlistmentPeriod: r.enlistment_period || null, component: r.component },
  rule: toRule(r),
});

const KEY_COLUMNS = 'category, cause, disability_grade, enlistment_period, component';

/** Rows of the given versions, by version id. */
export async function rowsOf(q: Queryable, versionIds: string[]): Promise<Map<string, Row[]>> {
  const { rows } = await q.query<RowRecord>(
    `SELECT version_id, ${KEY_COLUMNS}, rule_kind, amount_fen, share_bp, requires_mental_disorder
       FROM version_rows WHERE version_id = ANY($1::uuid[]) ORDER BY version_id, ${KEY_COLUMNS}`,
    [versionIds],
  );
  const out = new Map<string, Row[]>(versionIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.version_id)!.push(toRow(r));
  return out;
}

export const rowsOfVersion = async (q: Queryable, id: string): Promise<Row[]> => (await rowsOf(q, [id])).get(id) ?? [];

/** Key columns as parallel arrays, for unnest(). */
function keyArrays(keys: RowKey[]) {
  return [
    keys.map((k) => k.category),
    keys.map((k) => k.cause ?? ''),
    keys.map((k) => k.disabilityGrade),
    keys.map((k) => k.enlistmentPeriod ?? ''),
    keys.map((k) => k.component),
  ];
}

/** Inserts rows, replacing those with the same key. */
export async function upsertRows(q: Queryable, versionId: string, rows: Row[]): Promise<void> {
  if (!rows.length) return;
  await q.query(
    `INSERT INTO version_rows (version_id, ${KEY_COLUMNS}, rule_kind, amount_fen, share_bp, requires_mental_disorder)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::int[], $10::bool[])
     ON CONFLICT (version_id, ${KEY_COLUMNS}) DO UPDATE
       SET rule_kind = EXCLUDED.rule_kind, amount_fen = EXCLUDED.amount_fen, share_bp = EXCLUDED.share_bp,
           requires_mental_disorder = EXCLUDED.requires_mental_disorder`,
    [
      versionId,
      ...keyArrays(rows.map((r) => r.key)),
      rows.map((r) => r.rule.kind),
      rows.map((r) => ('fen' in r.rule ? r.rule.fen : null)),
      rows.map((r) => ('bp' in r.rule ? r.rule.bp : null)),
      rows.map((r) => r.rule.kind === 'NURSING_FEE_SHARE' && r.rule.requiresMentalDisorder),
    ],
  );
}

/** Deletes rows by key; returns how many existed. */
export async function deleteRows(q: Queryable, versionId: string, keys: RowKey[]): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM version_rows WHERE version_id = $1 AND (${KEY_COLUMNS}) IN
       (SELECT * FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[]))`,
    [versionId, ...keyArrays(keys)],
  );
  return rowCount ?? 0;
}

interface IndexRecord {
  kind: IndexKind;
  city_code: string;
  year: number;
  value_fen: bigint | null;
  proposed_value_fen: bigint | null;
  proposed_by: string | null;
  approved_by: string | null;
  approved_at: Date | null;
  revision: bigint;
  set_by: string;
  set_at: Date;
}

export interface StoredIndexValue {
  kind: IndexKind;
  cityCode: string;
  year: number;
  /** The value in force (lookups use it); null until a first approval. */
  valueFen: bigint | null;
  /** A proposal waiting for an approver. */
  proposedFen: bigint | null;
  proposedBy: string | null;
  approvedBy: string | null;
  approvedAt: Date | null;
  revision: bigint;
  setBy: string;
  setAt: Date;
}

const toIndexValue = (r: IndexRecord): StoredIndexValue => ({
  kind: r.kind,
  cityCode: r.city_code,
  year: r.year,
  valueFen: r.value_fen,
  proposedFen: r.proposed_value_fen,
  proposedBy: r.proposed_by,
  approvedBy: r.approved_by,
  approvedAt: r.approved_at,
  revision: r.revision,
  setBy: r.set_by,
  setAt: r.set_at,
});

export type IndexKey = Pick<StoredIndexValue, 'kind' | 'cityCode' | 'year'>;

/**
 * Records a proposed index value if the key's revision is still `expectedRevision` (0 = it must not
 * exist yet), replacing a proposal still waiting; the value in force stays until an approval.
 * Undefined when the revision was stale.
 */
export async function proposeIndexValue(q: Queryable, v: IndexKey & { valueFen: bigint; by: string; at: Date }, expectedRevision: bigint): Promise<StoredIndexValue | undefined> {
  const params = [v.kind, v.cityCode, v.year, v.valueFen, v.by, v.at];
  const { rows } =
    expectedRevision === 0n
      ? await q.query<IndexRecord>(
          `INSERT INTO index_values (kind, city_code, year, proposed_value_fen, proposed_by, proposed_at, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6, $5, $6)
           ON CONFLICT DO NOTHING RETURNING *`,
          params,
        )
      : await q.query<IndexRecord>(
          `UPDATE index_values SET proposed_value_fen = $4, proposed_by = $5, proposed_at = $6, set_by = $5, set_at = $6, revision = revision + 1
            WHERE kind = $1 AND city_code = $2 AND year = $3 AND revision = $7 RETURNING *`,
          [...params, expectedRevision],
        );
  return rows[0] && toIndexValue(rows[0]);
}

export async function indexValue(q: Queryable, k: IndexKey, forUpdate = false): Promise<StoredIndexValue | undefined> {
  const { rows } = await q.query<IndexRecord>(`SELECT * FROM index_values WHERE kind = $1 AND city_code = $2 AND year = $3${forUpdate ? ' FOR UPDATE' : ''}`, [k.kind, k.cityCode, k.year]);
  return rows[0] && toIndexValue(rows[0]);
}

/** Puts the waiting proposal of `k` in force (the caller checked it, holding the row). */
export async function approveIndexValue(q: Queryable, k: IndexKey, by: string, at: Date): Promise<StoredIndexValue> {
  const { rows } = await q.query<IndexRecord>(
    `UPDATE index_values SET value_fen = proposed_value_fen, proposed_value_fen = NULL, approved_by = $4, approved_at = $5, set_by = $4, set_at = $5, revision = revision + 1
      WHERE kind = $1 AND city_code = $2 AND year = $3 RETURNING *`,
    [k.kind, k.cityCode, k.year, by, at],
  );
  return toIndexValue(rows[0]!);
}

/** A page of index values ordered by (kind, city, year), after the cursor. */
export async function listIndexValues(
  q: Queryable,
  f: { kind?: IndexKind; cityCode?: string },
  after: { kind: IndexKind; cityCode: string; year: number } | undefined,
  limit: number,
): Promise<StoredIndexValue[]> {
  const { rows } = await q.query<IndexRecord>(
    `SELECT * FROM index_values
      WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR city_code = $2)
        AND ($3::text IS NULL OR (kind, city_code, year) > ($3, $4::text, $5::int))
      ORDER BY kind, city_code, year LIMIT $6`,
    [f.kind ?? null, f.cityCode ?? null, after?.kind ?? null, after?.cityCode ?? null, after?.year ?? null, limit],
  );
  return rows.map(toIndexValue);
}

/** Every index value of the given cities (for a batch of lookups). */
export async function indexValuesOf(q: Queryable, cityCodes: string[]): Promise<StoredIndexValue[]> {
  const { rows } = await q.query<IndexRecord>(`SELECT * FROM index_values WHERE city_code = ANY($1::text[]) AND value_fen IS NOT NULL`, [cityCodes]);
  return rows.map(toIndexValue);
}
