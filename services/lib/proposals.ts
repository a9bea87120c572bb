/**
 * Maker–checker proposals shared by every service: one person proposes a change (`propose`), another
 * decides it once (`decide`), and every step leaves an audit row. The functions work inside the
 * caller's transaction on the tables of runtime migration 0002 (in the service's own schema), so
 * the decision and its effect (a setting taking force, an event in the outbox) commit together.
 *
 * Identities: the acting person is `effective(caller)`; when a service acts for a person
 * (`caller.actor`), the person is recorded as the actor and the service as `via`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { assertNotOwnProposal, effective, policies, type Caller, type Role } from './auth';
import { toJson, type Queryable, type Tx } from './db';
import { aborted, failedPrecondition, notFound, permissionDenied } from './errors';
import { decodeCursor, pageOf } from './paging';

export type ProposalStatus = 'PENDING' | 'APPROVED' | 'REJECTED';
export type Decision = Exclude<ProposalStatus, 'PENDING'>;

/** A proposal as stored. `payload` is the JSON that was proposed (bigints as decimal strings). */
export interface Proposal {
  id: string;
  /** What is proposed, e.g. `setting`; the service that owns the kind knows how to apply it. */
  kind: string;
  /** What it is about (a setting key, a person id), for listing. */
  subject: string;
  payload: unknown;
  status: ProposalStatus;
  /** 1 while pending, incremented by the decision. */
  version: bigint;
  proposedBy: string;
  proposedRole: Role;
  /** The service that proposed on the person's behalf, if any. */
  proposedVia: string | null;
  proposedAt: Date;
  note: string | null;
  decidedBy: string | null;
  decidedRole: Role | null;
  decidedAt: Date | null;
  decisionNote: string | null;
}

/** One row of a proposal's audit trail. */
export interface AuditEntry {
  action: 'PROPOSED' | Decision;
  actor: string;
  actorRole: Role;
  via: string | null;
  at: Date;
  note: string | null;
}

/** The columns of a proposal, named as `Proposal`'s fields, plus `seq` (the list cursor). */
const COLUMNS = `id, seq, kind, subject, payload, status, version, proposed_by AS "proposedBy", proposed_role AS "proposedRole",
  proposed_via AS "proposedVia", proposed_at AS "proposedAt", proposal_note AS note, decided_by AS "decidedBy",
  decided_role AS "decidedRole", decided_at AS "decidedAt", decision_note AS "decisionNote"`;
type ProposalRow = Proposal & { seq: bigint };
const withoutSeq = ({ seq: _seq, ...p }: ProposalRow): Proposal => p;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function audit(tx: Queryable, id: string, action: AuditEntry['action'], who: { subject: string; role: Role }, via: string | null, at: Date, note: string | null) {
  await tx.query('INSERT INTO proposal_audit (proposal_id, action, actor, actor_role, via, at, note) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    id,
    action,
    who.subject,
    who.role,
    via,
    at,
    note,
  ]);
}

export interface ProposeInput {
  kind: string;
  subject: string;
  /** Any JSON-able value; bigints are stored as decimal strings (db.ts `toJson`). */
  payload: unknown;
  caller: Caller;
  note?: string;
  /** When it happened (the service's clock); defaults to the database clock. */
  at?: Date;
}

/**
 * Records a PENDING proposal made by `effective(caller)` (a clerk, possibly through a service acting
 * for them) and its audit row. Refuses other roles with PERMISSION_DENIED `ROLE_NOT_ALLOWED`.
 */
export async function propose(tx: Tx, p: ProposeInput): Promise<Proposal> {
  const who = effective(p.caller);
  if (!policies.propose.includes(who.role)) throw permissionDenied('ROLE_NOT_ALLOWED', `role ${who.role} may not propose`);
  const via = p.caller.actor ? p.caller.subject : null;
  const { rows } = await tx.query<ProposalRow>(
    `INSERT INTO proposals (id, kind, subject, payload, proposed_by, proposed_role, proposed_via, proposed_at, proposal_note)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, coalesce($8, clock_timestamp()), $9)
     RETURNING ${COLUMNS}`,
    [randomUUID(), p.kind, p.subject, toJson(p.payload), who.subject, who.role, via, p.at ?? null, p.note ?? null],
  );
  const proposal = withoutSeq(rows[0]!);
  await audit(tx, proposal.id, 'PROPOSED', who, via, proposal.proposedAt, proposal.note);
  return proposal;
}

export interface DecideInput {
  decision: Decision;
  caller: Caller;
  /** The version the approver saw; a different one is ABORTED `STALE_VERSION`. */
  expectedVersion?: bigint;
  note?: string;
  /** Decide only a proposal of this kind (another kind is NOT_FOUND). */
  kind?: string;
  at?: Date;
}

/**
 * Decides a pending proposal once, as `caller` (an approver with their own token, never a delegated
 * one). Locks the proposal row, so of two approvers deciding at once exactly one succeeds and the
 * other gets PROPOSAL_NOT_PENDING. Refusals: PERMISSION_DENIED `ROLE_NOT_ALLOWED` /
 * `APPROVAL_NOT_DELEGABLE` / `OWN_PROPOSAL`, NOT_FOUND `PROPOSAL_NOT_FOUND`, FAILED_PRECONDITION
 * `PROPOSAL_NOT_PENDING`, ABORTED `STALE_VERSION`. Apply the effect of an approval in the same `tx`.
 */
export async function decide(tx: Tx, id: string, d: DecideInput): Promise<Proposal> {
  if (d.caller.actor) throw permissionDenied('APPROVAL_NOT_DELEGABLE', 'approvals are never delegated: an approver decides with their own token');
  const who = effective(d.caller);
  if (who.role !== 'approver') throw permissionDenied('ROLE_NOT_ALLOWED', `role ${who.role} may not decide on proposals`);
  const { rows } = UUID.test(id) ? await tx.query<ProposalRow>(`SELECT ${COLUMNS} FROM proposals WHERE id = $1 FOR UPDATE`, [id]) : { rows: [] };
  const found = rows[0];
  if (!found || (d.kind !== undefined && found.kind !== d.kind)) throw notFound(`proposal ${id}`, 'PROPOSAL_NOT_FOUND');
  assertNotOwnProposal(d.caller, found.proposedBy);
  if (found.status !== 'PENDING') {
    throw failedPrecondition('PROPOSAL_NOT_PENDING', `the proposal is already ${found.status.toLowerCase()}`, { status: found.status });
  }
  if (d.expectedVersion !== undefined && d.expectedVersion !== found.version) {
    throw aborted('STALE_VERSION', `the proposal is at version ${found.version}, not ${d.expectedVersion}; re-read it and retry`);
  }
  const updated = await tx.query<ProposalRow>(
    `UPDATE proposals SET status = $2, version = version + 1, decided_by = $3, decided_role = $4,
            decided_at = coalesce($5, clock_timestamp()), decision_note = $6
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, d.decision, who.subject, who.role, d.at ?? null, d.note ?? null],
  );
  const proposal = withoutSeq(updated.rows[0]!);
  await audit(tx, id, d.decision, who, null, proposal.decidedAt!, proposal.decisionNote);
  return proposal;
}

/** One proposal, or undefined (also for an id that is not a uuid). */
export async function getProposal(q: Queryable, id: string): Promise<Proposal | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await q.query<ProposalRow>(`SELECT ${COLUMNS} FROM proposals WHERE id = $1`, [id]);
  return rows[0] && withoutSeq(rows[0]);
}

/** A proposal's audit trail, oldest first. */
export async function proposalAudit(q: Queryable, id: string): Promise<AuditEntry[]> {
  if (!UUID.test(id)) return [];
  const { rows } = await q.query<{ action: AuditEntry['action']; actor: string; actor_role: Role; via: string | null; at: Date; note: string | null }>(
    'SELECT action, actor, actor_role, via, at, note FROM proposal_audit WHERE proposal_id = $1 ORDER BY seq',
    [id],
  );
  return rows.map((r) => ({ action: r.action, actor: r.actor, actorRole: r.actor_role, via: r.via, at: r.at, note: r.note }));
}

export interface ProposalQuery {
  kind?: string;
  subject?: string;
  status?: ProposalStatus;
  /** As parsed by `pageRequest` (services/lib/paging.ts). */
  page: { size: number; token: string };
}

const cursor = z.object({ seq: z.string().regex(/^\d{1,19}$/) });

/** Proposals matching the filters, newest first, one page at a time. */
export async function listProposals(q: Queryable, f: ProposalQuery): Promise<{ items: Proposal[]; nextPageToken: string }> {
  const after = decodeCursor(cursor, f.page.token);
  const { rows } = await q.query<ProposalRow>(
    `SELECT ${COLUMNS} FROM proposals
      WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR subject = $2) AND ($3::text IS NULL OR status = $3)
        AND ($4::int8 IS NULL OR seq < $4)
      ORDER BY seq DESC LIMIT $5`,
    [f.kind ?? null, f.subject ?? null, f.status ?? null, after?.seq ?? null, f.page.size + 1],
  );
  const page = pageOf(rows, f.page.size, (last) => ({ seq: last.seq.toString() }));
  return { items: page.items.map(withoutSeq), nextPageToken: page.nextPageToken };
}
