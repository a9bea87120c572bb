/**
 * Effective-dated settings under maker–checker (subsidy ratios, annual caps, subsidy bases, the
 * minimum wage, …): a clerk proposes a value for a `key` from a civil date, another person approves
 * it, and from then on `settingAt` answers it for every date on or after `effectiveFrom` until the
 * next one. A later approval for the same key and date supersedes the earlier value; superseded
 * values stay in `settingHistory`. A date may lie in the past (a ratio decided in March for the
 * whole year): readers see it as soon as the approval commits.
 *
 * Values are JSON, validated by a zod schema the caller supplies on every write and read. Money in
 * a value is integer fen, and JSON has no bigint: bigints are stored as decimal strings, so the
 * schema must coerce them back — use `jsonBigint` for every bigint field, e.g.
 * `z.object({ capFen: jsonBigint, ratioBp: z.number().int().min(0).max(10_000) })`.
 */
import { z } from 'zod';
import { effective, policies, type Caller } from './auth';
import { isValidDate, type CivilDate } from './civil';
import { toJson, type Queryable, type Tx } from './db';
import { invalidArgument, parseInput, permissionDenied } from './errors';
import { decide, propose, type DecideInput, type Proposal } from './proposals';

/** Proposal kind of a setting change (services/lib/proposals.ts); its subject is the key. */
export const SETTING_KIND = 'setting';

/**
 * A bigint inside a setting's value (money in fen, counters): accepts a bigint, a safe integer or a
 * decimal string (the stored JSON form) and gives a bigint.
 */
export const jsonBigint = z.union([z.bigint(), z.number().int(), z.string().regex(/^-?\d{1,19}$/, 'not an integer')]).transform((v) => BigInt(v));

/** A setting key: dotted segments, e.g. `settlement.ratio.fund610200`. */
export const settingKey = z
  .string()
  .max(200)
  .regex(/^[a-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, 'a dotted key such as settlement.ratio.fund610200');

const civilDate = z.string().refine(isValidDate, 'not a civil date YYYY-MM-DD');

/** One approved value of a setting. */
export interface SettingVersion<T> {
  key: string;
  effectiveFrom: CivilDate;
  value: T;
  /** The proposal that made it (its audit trail: proposalAudit). */
  proposalId: string;
  proposedBy: string;
  proposedVia: string | null;
  approvedBy: string;
  approvedAt: Date;
  note: string | null;
  /** The proposal whose value replaced this one for the same date, if any. */
  supersededBy: string | null;
}

export interface ProposeSettingInput<S extends z.ZodType> {
  key: string;
  schema: S;
  /** Checked against `schema`; failures are INVALID_ARGUMENT with paths under `value`. */
  value: unknown;
  effectiveFrom: CivilDate;
  caller: Caller;
  /** Why (a document number, a decision): required. */
  note: string;
  at?: Date;
}

/**
 * Proposes `value` for `key` from `effectiveFrom` (a PENDING proposal of kind `setting`). Refuses
 * a non-clerk (PERMISSION_DENIED `ROLE_NOT_ALLOWED`), and with one INVALID_ARGUMENT listing every
 * bad field: `key`, `effectiveFrom`, `note`, `value.<path>`. The value is stored as the schema's
 * output in JSON form.
 */
export async function proposeSetting<S extends z.ZodType>(tx: Tx, p: ProposeSettingInput<S>): Promise<Proposal> {
  const who = effective(p.caller);
  if (!policies.propose.includes(who.role)) throw permissionDenied('ROLE_NOT_ALLOWED', `role ${who.role} may not propose settings`);
  const fields = z.object({ key: settingKey, effectiveFrom: civilDate, note: z.string().trim().min(1).max(2000), value: p.schema });
  const input = parseInput(fields, { key: p.key, effectiveFrom: p.effectiveFrom, note: p.note, value: p.value }) as {
    key: string;
    effectiveFrom: CivilDate;
    note: string;
    value: z.output<S>;
  };
  const json: unknown = JSON.parse(toJson(input.value));
  // What is stored must read back through the same schema, or settingAt would fail later.
  const back = p.schema.safeParse(json);
  if (!back.success) throw new Error(`the schema of setting ${input.key} does not accept its own JSON form (use jsonBigint for bigints): ${back.error.message}`);
  return propose(tx, {
    kind: SETTING_KIND,
    subject: input.key,
    payload: { key: input.key, effectiveFrom: input.effectiveFrom, value: json },
    caller: p.caller,
    note: input.note,
    ...(p.at ? { at: p.at } : {}),
  });
}

const payload = z.object({ key: z.string(), effectiveFrom: z.string(), value: z.json() });

/**
 * Decides a setting proposal (see `decide` for the refusals). An approval makes its value the one
 * in force from its date, superseding a value approved earlier for the same key and date.
 */
export async function decideSetting(tx: Tx, proposalId: string, d: Omit<DecideInput, 'kind'>): Promise<{ proposal: Proposal; setting?: SettingVersion<unknown> }> {
  const proposal = await decide(tx, proposalId, { ...d, kind: SETTING_KIND });
  if (proposal.status !== 'APPROVED') return { proposal };
  const { key, effectiveFrom, value } = payload.parse(proposal.payload);
  // Approvals of one key take their turn, so the later one always sees (and supersedes) the earlier.
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`youfu.settings.${key}`]);
  await tx.query('UPDATE settings SET superseded_by = $3 WHERE key = $1 AND effective_from = $2 AND superseded_by IS NULL', [key, effectiveFrom, proposal.id]);
  await tx.query('INSERT INTO settings (key, effective_from, value, proposal_id) VALUES ($1, $2, $3::jsonb, $4)', [key, effectiveFrom, toJson(value), proposal.id]);
  return {
    proposal,
    setting: {
      key,
      effectiveFrom,
      value,
      proposalId: proposal.id,
      proposedBy: proposal.proposedBy,
      proposedVia: proposal.proposedVia,
      approvedBy: proposal.decidedBy!,
      approvedAt: proposal.decidedAt!,
      note: proposal.note,
      supersededBy: null,
    },
  };
}

interface SettingRecord {
  key: string;
  effective_from: CivilDate;
  value: unknown;
  proposal_id: string;
  proposed_by: string;
  proposed_via: string | null;
  decided_by: string;
  decided_at: Date;
  proposal_note: string | null;
  superseded_by: string | null;
}

const SELECT = `SELECT s.key, s.effective_from, s.value, s.proposal_id, s.superseded_by,
       p.proposed_by, p.proposed_via, p.decided_by, p.decided_at, p.proposal_note
  FROM settings s JOIN proposals p ON p.id = s.proposal_id`;

function toVersion<T>(r: SettingRecord, read: (v: unknown) => T): SettingVersion<T> {
  return {
    key: r.key,
    effectiveFrom: r.effective_from,
    value: read(r.value),
    proposalId: r.proposal_id,
    proposedBy: r.proposed_by,
    proposedVia: r.proposed_via,
    approvedBy: r.decided_by,
    approvedAt: r.decided_at,
    note: r.proposal_note,
    supersededBy: r.superseded_by,
  };
}

/** Parses a stored value; one that no longer fits its schema is a programming error (INTERNAL). */
const reader =
  <S extends z.ZodType>(key: string, schema: S) =>
  (v: unknown): z.output<S> => {
    const r = schema.safeParse(v);
    if (!r.success) throw new Error(`stored setting ${key} does not match its schema: ${r.error.message}`);
    return r.data;
  };

/** The version of `key` in force on `date` (the latest effectiveFrom on or before it), or undefined. */
export async function settingVersionAt<S extends z.ZodType>(q: Queryable, key: string, schema: S, date: CivilDate): Promise<SettingVersion<z.output<S>> | undefined> {
  if (!isValidDate(date)) throw invalidArgument('date', 'not a civil date YYYY-MM-DD');
  const { rows } = await q.query<SettingRecord>(
    `${SELECT} WHERE s.key = $1 AND s.effective_from <= $2 AND s.superseded_by IS NULL ORDER BY s.effective_from DESC LIMIT 1`,
    [key, date],
  );
  return rows[0] && toVersion(rows[0], reader(key, schema));
}

/** The value of `key` in force on `date`, or undefined when none was approved from that date or earlier. */
export async function settingAt<S extends z.ZodType>(q: Queryable, key: string, schema: S, date: CivilDate): Promise<z.output<S> | undefined> {
  return (await settingVersionAt(q, key, schema, date))?.value;
}

/**
 * Every approved version of `key`, superseded ones included, by effective date then approval order.
 * With `schema` the values are parsed; without it they are the stored JSON.
 */
export async function settingHistory<S extends z.ZodType = z.ZodJSONSchema>(q: Queryable, key: string, schema?: S): Promise<SettingVersion<z.output<S>>[]> {
  const { rows } = await q.query<SettingRecord>(`${SELECT} WHERE s.key = $1 ORDER BY s.effective_from, s.seq`, [key]);
  const read = schema ? reader(key, schema) : (v: unknown) => v as z.output<S>;
  return rows.map((r) => toVersion(r, read));
}
