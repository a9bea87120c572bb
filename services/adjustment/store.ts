/** The adjustment service's runs table (migrations/0001_adjustment.sql). */
import { randomUUID } from 'node:crypto';
import { adjustmentEvents } from '../lib/contracts';
import { withTx, type Pool, type Queryable } from '../lib/db';
import { enqueue } from '../lib/outbox';

export type Phase = 'SIMULATING' | 'AWAITING_APPROVAL' | 'PUBLISHED' | 'APPLYING' | 'COMPLETED' | 'REJECTED' | 'CANCELLED';
/** Phases that free the run id for a new attempt. */
export const ENDED_UNPUBLISHED: readonly Phase[] = ['REJECTED', 'CANCELLED'];

export interface RunRow {
  id: string;
  seq: bigint;
  run_id: string;
  year: number;
  level: 'NATIONAL' | 'LOCAL';
  region_code: string;
  effective_from: string;
  payroll_month: string;
  /** The standards version; null for a roll-over. */
  version_id: string | null;
  kind: 'STANDARDS' | 'NURSING_ROLLOVER';
  simulated_revision: bigint;
  phase: Phase;
  paused: boolean;
  drafted_by_run: boolean;
  persons_done: bigint;
  /** Only while simulating, from the workflow's progress (not stored): then totals.persons. */
  persons_total?: bigint;
  totals: TotalsJson | null;
  apply_change_id: string | null;
  applied: AppliedJson | null;
  started_by: string;
  decided_by: string | null;
  decision_note: string | null;
  started_at: Date;
  updated_at: Date;
}

export interface TotalsJson {
  persons: string;
  personsAffected: string;
  backPay: string;
  monthlyChange: string;
  budgetToDecember: string;
  /** Absent in runs simulated before funeral top-ups were costed. */
  funeralTopUp?: string;
}

/** What the apply wrote (persons' completeAdjustmentApply). */
export interface AppliedJson {
  persons: number;
  personsChanged: number;
  backPayFen: string;
  funeralTopUpFen: string;
  lines: number;
  changedSinceSimulation: number;
}

/** The attempt holding a run id (not rejected), else the latest one. */
export async function currentRun(q: Queryable, runId: string, forUpdate = false): Promise<RunRow | undefined> {
  const { rows } = await q.query<RunRow>(`SELECT * FROM runs WHERE run_id = $1 ORDER BY (phase NOT IN ('REJECTED', 'CANCELLED')) DESC, seq DESC LIMIT 1${forUpdate ? ' FOR UPDATE' : ''}`, [runId]);
  return rows[0];
}

export async function insertRun(q: Queryable, r: Omit<RunRow, 'seq' | 'phase' | 'paused' | 'persons_done' | 'totals' | 'apply_change_id' | 'applied' | 'decided_by' | 'decision_note' | 'started_at' | 'updated_at'>): Promise<RunRow | undefined> {
  const { rows } = await q.query<RunRow>(
    `INSERT INTO runs (id, run_id, year, level, region_code, effective_from, payroll_month, version_id, kind, simulated_revision, phase, started_by, drafted_by_run)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'SIMULATING', $11, $12)
     ON CONFLICT (run_id) WHERE phase NOT IN ('REJECTED', 'CANCELLED') DO NOTHING RETURNING *`,
    [r.id, r.run_id, r.year, r.level, r.region_code, r.effective_from, r.payroll_month, r.version_id, r.kind, r.simulated_revision, r.started_by, r.drafted_by_run],
  );
  return rows[0];
}

export async function setPhase(
  q: Queryable,
  id: string,
  phase: Phase,
  o: { from: Phase; totals?: TotalsJson; personsDone?: bigint; decidedBy?: string; note?: string; applyChangeId?: string; applied?: AppliedJson },
): Promise<RunRow | undefined> {
  const { rows } = await q.query<RunRow>(
    `UPDATE runs SET phase = $2, totals = coalesce($4::jsonb, totals), persons_done = coalesce($5, persons_done),
            decided_by = coalesce($6, decided_by), decision_note = coalesce($7, decision_note),
            apply_change_id = coalesce($8, apply_change_id), applied = coalesce($9::jsonb, applied), updated_at = clock_timestamp()
      WHERE id = $1 AND phase = $3 RETURNING *`,
    [id, phase, o.from, o.totals ? JSON.stringify(o.totals) : null, o.personsDone ?? null, o.decidedBy ?? null, o.note ?? null, o.applyChangeId ?? null, o.applied ? JSON.stringify(o.applied) : null],
  );
  return rows[0];
}

export async function getRun(q: Queryable, id: string): Promise<RunRow | undefined> {
  return (await q.query<RunRow>('SELECT * FROM runs WHERE id = $1', [id])).rows[0];
}

/** The apply wrote everything: COMPLETED, with AdjustmentCompleted, once (again: nothing). */
export async function recordCompleted(pool: Pool, id: string, applied: AppliedJson): Promise<RunRow | undefined> {
  return withTx(pool, async (tx) => {
    const r = await setPhase(tx, id, 'COMPLETED', { from: 'APPLYING', applied, personsDone: BigInt(applied.persons) });
    if (!r) return undefined;
    await enqueue(tx, {
      topic: adjustmentEvents.topic,
      aggregateId: r.run_id,
      type: adjustmentEvents.adjustmentCompleted,
      data: {
        runId: r.run_id,
        attemptId: r.id,
        versionId: r.version_id ?? '',
        year: r.year,
        regionCode: r.region_code,
        payrollMonth: r.payroll_month,
        persons: BigInt(applied.persons),
        personsChanged: BigInt(applied.personsChanged),
        backPay: { fen: BigInt(applied.backPayFen) },
        funeralTopUp: { fen: BigInt(applied.funeralTopUpFen) },
        changedSinceSimulation: BigInt(applied.changedSinceSimulation),
        completedAt: r.updated_at,
      },
    });
    return r;
  });
}

export async function setPaused(q: Queryable, id: string, paused: boolean): Promise<RunRow | undefined> {
  const { rows } = await q.query<RunRow>('UPDATE runs SET paused = $2, updated_at = clock_timestamp() WHERE id = $1 RETURNING *', [id, paused]);
  return rows[0];
}

export async function listRuns(q: Queryable, afterSeq: string | null, limit: number): Promise<RunRow[]> {
  const { rows } = await q.query<RunRow>('SELECT * FROM runs WHERE ($1::int8 IS NULL OR seq < $1) ORDER BY seq DESC LIMIT $2', [afterSeq, limit]);
  return rows;
}

// ---- pending items ----

export interface PendingRow {
  id: string;
  seq: bigint;
  kind: 'ADJUSTMENT_DUE' | 'APPROVAL_OVERDUE' | 'ROLLOVER_DUE';
  subject: string;
  description: string;
  created_at: Date;
  resolved_at: Date | null;
  resolved_by_run: string | null;
}

/**
 * Records that the adjustment of `year` is due, with its AdjustmentDue event, once per year (a
 * re-run of the schedule's workflow changes nothing). Returns the item.
 */
export async function recordDue(pool: Pool, year: number, at: Date): Promise<{ item: PendingRow; fresh: boolean }> {
  return withTx(pool, async (tx) => {
    const { rows } = await tx.query<PendingRow>(
      `INSERT INTO pending_items (id, kind, subject, description, created_at) VALUES ($1, 'ADJUSTMENT_DUE', $2, $3, $4)
       ON CONFLICT (kind, subject) DO NOTHING RETURNING *`,
      [randomUUID(), String(year), `the ${year} annual subsidy adjustment is due: start a run once the notice arrives`, at],
    );
    if (!rows[0]) return { item: (await tx.query<PendingRow>("SELECT * FROM pending_items WHERE kind = 'ADJUSTMENT_DUE' AND subject = $1", [String(year)])).rows[0]!, fresh: false };
    await enqueue(tx, { topic: adjustmentEvents.topic, aggregateId: `due:${year}`, type: adjustmentEvents.adjustmentDue, data: { year, pendingItemId: rows[0].id, dueAt: at } });
    return { item: rows[0], fresh: true };
  });
}

/**
 * A simulated run has waited for its approver past the reminder: a pending item (subject: the
 * attempt) and AdjustmentApprovalOverdue, once per attempt; a decision resolves it.
 */
export async function recordApprovalOverdue(pool: Pool, attemptId: string): Promise<void> {
  await withTx(pool, async (tx) => {
    const r = await getRun(tx, attemptId);
    if (!r || r.phase !== 'AWAITING_APPROVAL') return;
    const { rows } = await tx.query<PendingRow>(
      `INSERT INTO pending_items (id, kind, subject, description) VALUES ($1, 'APPROVAL_OVERDUE', $2, $3)
       ON CONFLICT (kind, subject) DO NOTHING RETURNING *`,
      [randomUUID(), attemptId, `${r.run_id} waits for an approver since ${r.updated_at.toISOString()}: approve or reject it`],
    );
    if (!rows[0]) return;
    await enqueue(tx, {
      topic: adjustmentEvents.topic,
      aggregateId: r.run_id,
      type: adjustmentEvents.adjustmentApprovalOverdue,
      data: { runId: r.run_id, attemptId, year: r.year, regionCode: r.region_code, pendingItemId: rows[0].id, waitingSince: r.updated_at },
    });
  });
}

/** A decision on an attempt (approve, reject, cancel) resolves its overdue reminder. */
export async function resolveOverdue(q: Queryable, attemptId: string, runId: string): Promise<void> {
  await q.query("UPDATE pending_items SET resolved_at = clock_timestamp(), resolved_by_run = $2 WHERE kind = 'APPROVAL_OVERDUE' AND subject = $1 AND resolved_at IS NULL", [attemptId, runId]);
}

/** A city's wage of `year` − 1 is in force: its January roll-over of `year` is due (once). */
export async function recordRolloverDue(q: Queryable, cityCode: string, year: number): Promise<void> {
  await q.query(
    `INSERT INTO pending_items (id, kind, subject, description) VALUES ($1, 'ROLLOVER_DUE', $2, $3) ON CONFLICT (kind, subject) DO NOTHING`,
    [randomUUID(), `${cityCode}:${year}`, `the average monthly wage of ${cityCode} for ${year - 1} is in force: run the nursing-fee roll-over from ${year}-01`],
  );
}

/** A roll-over run started: its due item is done. */
export async function resolveRolloverDue(q: Queryable, cityCode: string, year: number, runId: string): Promise<void> {
  await q.query("UPDATE pending_items SET resolved_at = clock_timestamp(), resolved_by_run = $2 WHERE kind = 'ROLLOVER_DUE' AND subject = $1 AND resolved_at IS NULL", [`${cityCode}:${year}`, runId]);
}

/** A run of `year` started: its due item is done. */
export async function resolveDue(q: Queryable, year: number, runId: string): Promise<void> {
  await q.query("UPDATE pending_items SET resolved_at = clock_timestamp(), resolved_by_run = $2 WHERE kind = 'ADJUSTMENT_DUE' AND subject = $1 AND resolved_at IS NULL", [String(year), runId]);
}

export async function listPending(q: Queryable, includeResolved: boolean, afterSeq: string | null, limit: number): Promise<PendingRow[]> {
  const { rows } = await q.query<PendingRow>(
    'SELECT * FROM pending_items WHERE ($1 OR resolved_at IS NULL) AND ($2::int8 IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3',
    [includeResolved, afterSeq, limit],
  );
  return rows;
}
