/** gRPC handlers of youfu.adjustment.v1.AnnualAdjustmentService. */
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AnnualAdjustmentServiceService, Phase, RunKind, type Adjustment, type StartAdjustmentRequest } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import { ChangeStatus, EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { IndexKind, StandardLevel, VersionStatus, SubsidyStandardServiceService, type StandardVersion } from '../../protos/gen/youfu/standards/v1/standards';
import { assertNotOwnProposal, effective, policies } from '../lib/auth';
import { fromParts } from '../lib/civil';
import type { ServiceClient } from '../lib/clients';
import type { Pool } from '../lib/db';
import { AppError, aborted, failedPrecondition, invalidArgument, notFound, parseInput, permissionDenied } from '../lib/errors';
import { bindService, type CallContext } from '../lib/grpc';
import { decodeCursor, pageOf, pageRequest } from '../lib/paging';
import { money, toProtoDate, toProtoMonth, yearMonth } from '../lib/proto';
import { applyWorkflowId, rolloverKeyOf, rolloverRunIdOf, runIdOf, simulationWorkflowId } from './domain/ids';
import type { AdjustmentInput } from '../../workflows/adjustment/workflow';
import * as store from './store';

export interface HandlerDeps {
  pool: Pool;
  standards: ServiceClient<typeof SubsidyStandardServiceService>;
  persons: ServiceClient<typeof EntitledPersonServiceService>;
  temporal: () => Promise<Client>;
  workflowsQueue: string;
  personsQueue: string;
  activityQueue: string;
  /** How often a published run looks again whether payroll P−1 closed (workflow default: 1 hour). */
  payrollPoll?: string;
  /** Pages under way at once (workflow default: 2). */
  partitions?: number;
  /** Persons per page (workflow default: 1,000). */
  pageSize?: number;
  /** How long a run waits for its approver before the reminder (workflow default: 7 days). */
  reminderAfter?: string;
}

/** The caller's own token, to forward for a decision that must be theirs (never this service's own). */
function ownToken(ctx: CallContext): { bearer: string } {
  if (!ctx.bearer) throw permissionDenied('OWN_TOKEN_REQUIRED', 'this decision is made with your own bearer token');
  return { bearer: ctx.bearer };
}

/** Pausing, resuming and cancelling are for the staff who run adjustments. */
const staffControl = [...policies.propose, ...policies.decide];

const runIdArg = z.string().regex(/^adjustment:\d{4}:(national|\d{6}|rollover:\d{6})$/, 'adjustment:{year}:{national|region code|rollover:city code}');

const phaseOf = (p: store.Phase) => Phase[`PHASE_${p}`];

function view(r: store.RunRow): Adjustment {
  const t = r.totals;
  return {
    runId: r.run_id,
    year: r.year,
    level: StandardLevel[`STANDARD_LEVEL_${r.level}`],
    regionCode: r.region_code,
    effectiveFrom: toProtoDate(r.effective_from),
    payrollMonth: toProtoMonth(r.payroll_month),
    versionId: r.version_id ?? '',
    kind: r.kind === 'NURSING_ROLLOVER' ? RunKind.RUN_KIND_NURSING_ROLLOVER : RunKind.RUN_KIND_STANDARDS,
    simulatedRevision: r.simulated_revision,
    phase: phaseOf(r.phase),
    personsDone: r.persons_done,
    ...(t
      ? {
          totals: {
            persons: BigInt(t.persons),
            personsAffected: BigInt(t.personsAffected),
            backPay: money(BigInt(t.backPay)),
            monthlyChange: money(BigInt(t.monthlyChange)),
            budgetToDecember: money(BigInt(t.budgetToDecember)),
            funeralTopUp: money(BigInt(t.funeralTopUp ?? '0')),
          },
        }
      : {}),
    startedBy: r.started_by,
    decidedBy: r.decided_by ?? '',
    decisionNote: r.decision_note ?? '',
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    paused: r.paused,
    attemptId: r.id,
    personsTotal: r.persons_total ?? (t ? BigInt(t.persons) : 0n),
    applyChangeId: r.apply_change_id ?? '',
    ...(r.applied
      ? {
          applied: {
            persons: BigInt(r.applied.persons),
            personsChanged: BigInt(r.applied.personsChanged),
            backPay: money(BigInt(r.applied.backPayFen)),
            funeralTopUp: money(BigInt(r.applied.funeralTopUpFen)),
            lines: BigInt(r.applied.lines),
            changedSinceSimulation: BigInt(r.applied.changedSinceSimulation),
          },
        }
      : {}),
  };
}

const startRequest = z.object({
  year: z.number().int().min(1949).max(9999),
  level: z.number().int().refine((l) => l === StandardLevel.STANDARD_LEVEL_NATIONAL || l === StandardLevel.STANDARD_LEVEL_LOCAL, 'NATIONAL or LOCAL'),
  regionCode: z.string().regex(/^(\d{6})?$/, 'a 6-digit region code, or empty for NATIONAL'),
  payrollMonth: yearMonth,
  source: z.discriminatedUnion('$case', [
    z.object({ $case: z.literal('versionId'), value: z.string().uuid('not a UUID') }),
    z.object({ $case: z.literal('rows'), value: z.object({ title: z.string().trim().min(1, 'required').max(200), documentNumber: z.string().trim().min(1, 'required').max(200), effectiveFrom: z.unknown(), rows: z.array(z.unknown()).min(1).max(5000) }) }),
    z.object({ $case: z.literal('nursingRollover'), value: z.object({ cityCode: z.string().regex(/^\d{4}(?<!00)00$/, 'a city code (xxxx00)') }).transform((x) => x.cityCode) }),
  ], { error: 'required: versionId or rows' }),
});

export function adjustmentBinding(d: HandlerDeps) {
  const { pool, standards } = d;

  /** The paging child of a phase: the simulation, or the apply. */
  const pagingChild = (r: store.RunRow) => (r.phase === 'SIMULATING' ? simulationWorkflowId(r.run_id, r.id) : r.phase === 'APPLYING' ? applyWorkflowId(r.run_id, r.id) : undefined);

  /** Persons simulated or applied so far, from the paging child's query (the table has it once done). */
  async function progress(r: store.RunRow): Promise<store.RunRow> {
    const child = pagingChild(r);
    if (!child) return r;
    try {
      const p = await (await d.temporal()).workflow.getHandle(child).query<{ persons: number; total?: number }>('progress');
      return { ...r, persons_done: BigInt(p.persons), ...(p.total !== undefined ? { persons_total: BigInt(p.total) } : {}) };
    } catch {
      return r;
    }
  }

  async function mustRun(runId: string): Promise<store.RunRow> {
    const r = await store.currentRun(pool, runId);
    if (!r) throw notFound(`adjustment run ${runId}`, 'ADJUSTMENT_NOT_FOUND');
    return r;
  }

  /** A simulated run an approver may decide: waiting, and not started by them. */
  async function decidable(runId: string, ctx: CallContext): Promise<store.RunRow> {
    const r = await mustRun(runId);
    assertNotOwnProposal(ctx.caller, r.started_by);
    if (r.phase !== 'AWAITING_APPROVAL') throw failedPrecondition('ADJUSTMENT_NOT_AWAITING_APPROVAL', `run ${runId} is ${r.phase}, not AWAITING_APPROVAL`, { phase: r.phase });
    return r;
  }

  const signal = async (r: store.RunRow, approved: boolean) => (await d.temporal()).workflow.getHandle(r.run_id).signal('decided', { approved });

  /** Pauses or resumes the paging of a run (while it simulates or applies; recorded either way). */
  async function hold(runId: string, paused: boolean): Promise<store.RunRow> {
    const r = await mustRun(runId);
    if (r.phase === 'COMPLETED' || store.ENDED_UNPUBLISHED.includes(r.phase)) throw failedPrecondition('ADJUSTMENT_ENDED', `run ${runId} is ${r.phase}`);
    const child = pagingChild(r);
    if (child) await (await d.temporal()).workflow.getHandle(child).signal('paused', paused);
    return (await store.setPaused(pool, r.id, paused))!;
  }

  /** The standards version a run costs: an existing DRAFT / APPROVED one, or a draft made of the rows for the starter. */
  async function candidateFor(v: z.output<typeof startRequest>, runId: string, level: 'NATIONAL' | 'LOCAL', ctx: CallContext, req: StartAdjustmentRequest): Promise<StandardVersion> {
    let version: StandardVersion;
    if (v.source.$case === 'versionId') {
      version = (await standards.getVersion({ versionId: v.source.value }, ctx)).version!;
      if (version.status !== VersionStatus.VERSION_STATUS_DRAFT && version.status !== VersionStatus.VERSION_STATUS_APPROVED) {
        throw failedPrecondition('VERSION_NOT_A_CANDIDATE', `version ${version.id} is not a DRAFT or APPROVED version`);
      }
    } else {
      // The draft is the starter's: made by this service acting for them (standards' delegation).
      const starter = effective(ctx.caller);
      const actor = { subject: starter.subject, role: starter.role };
      const rows = req.source?.$case === 'rows' ? req.source.value : undefined;
      const created = await standards.createDraft(
        { title: rows?.title ?? '', documentNumber: rows?.documentNumber ?? '', source: `adjustment ${runId}`, level: v.level, regionCode: v.regionCode, effectiveFrom: rows?.effectiveFrom, baseVersionId: '' },
        ctx,
        { actor },
      );
      version = (await standards.upsertDraftRows({ versionId: created.version!.id, expectedRevision: created.version!.revision, rows: rows?.rows ?? [] }, ctx, { actor })).version!;
    }
    const from = version.effectiveFrom!;
    if (version.level !== v.level || version.regionCode !== v.regionCode || from.year !== v.year) {
      throw failedPrecondition('VERSION_OF_ANOTHER_RUN', `version ${version.id} is not a ${level} version of ${v.regionCode || 'the nation'} effective in ${v.year}`);
    }
    return version;
  }

  /** The approver's own approval and publication of the run's standards version (at the revision simulated). */
  async function approveAndPublish(r: store.RunRow, versionId: string, ctx: CallContext, asApprover: { bearer: string }): Promise<void> {
    let version = (await standards.getVersion({ versionId }, ctx)).version!;
    if (version.status === VersionStatus.VERSION_STATUS_DRAFT) {
      try {
        version = (await standards.approveVersion({ versionId, expectedRevision: r.simulated_revision }, ctx, asApprover)).version!;
      } catch (err) {
        if (err instanceof AppError && err.reason === 'STALE_REVISION') throw aborted('SIMULATION_STALE', `the draft changed after the simulation (revision ${r.simulated_revision}); start the run again to simulate it`);
        throw err;
      }
    } else if (version.status === VersionStatus.VERSION_STATUS_APPROVED && version.revision !== r.simulated_revision) {
      throw aborted('SIMULATION_STALE', 'the version changed after the simulation');
    }
    if (version.status !== VersionStatus.VERSION_STATUS_PUBLISHED) await standards.publishVersion({ versionId, expectedRevision: version.revision }, ctx, asApprover);
  }

  /** Discards a run's DRAFT / APPROVED version with the caller's own token (a published one stays). */
  async function discard(versionId: string, reason: string, ctx: CallContext): Promise<void> {
    const version = (await standards.getVersion({ versionId }, ctx)).version!;
    if (version.status === VersionStatus.VERSION_STATUS_DRAFT || version.status === VersionStatus.VERSION_STATUS_APPROVED) {
      await standards.discardDraft({ versionId, expectedRevision: version.revision, reason }, ctx, ownToken(ctx));
    }
  }

  /** A roll-over needs the city's wage of `year` in force (approved). */
  async function assertWageInForce(cityCode: string, year: number, ctx: CallContext): Promise<void> {
    const { values } = await standards.listIndexValues({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode, page: { pageSize: 200, pageToken: '' } }, ctx);
    if (!values.some((x) => x.year === year && (x.value?.fen ?? 0n) > 0n)) {
      throw failedPrecondition('INDEX_VALUE_NOT_IN_FORCE', `the average monthly wage of ${cityCode} for ${year} is not in force; approve it first (standards ApproveIndexValue)`);
    }
  }

  return bindService({
    definition: AnnualAdjustmentServiceService,
    policies: {
      startAdjustment: policies.propose,
      getAdjustment: policies.read,
      listAdjustments: policies.read,
      listImpact: policies.read,
      approveAdjustment: policies.decide,
      rejectAdjustment: policies.decide,
      pauseAdjustment: staffControl,
      resumeAdjustment: staffControl,
      cancelAdjustment: staffControl,
      listPendingItems: policies.read,
    },
    handlers: {
      async startAdjustment(req, ctx) {
        const v = parseInput(startRequest, req);
        const level = v.level === StandardLevel.STANDARD_LEVEL_NATIONAL ? ('NATIONAL' as const) : ('LOCAL' as const);
        if ((level === 'NATIONAL') !== (v.regionCode === '')) throw invalidArgument('regionCode', 'empty for NATIONAL, a region code for LOCAL');
        const rollover = v.source.$case === 'nursingRollover';
        if (rollover && v.regionCode !== v.source.value) throw invalidArgument('regionCode', 'the roll-over’s city code');
        const runId = rollover ? rolloverRunIdOf(v.year, v.regionCode) : runIdOf(v.year, level, v.regionCode);
        const existing = await store.currentRun(pool, runId);
        if (existing && !store.ENDED_UNPUBLISHED.includes(existing.phase)) return { adjustment: view(await progress(existing)), started: false };
        const starter = effective(ctx.caller);
        const version = rollover ? undefined : await candidateFor(v, runId, level, ctx, req);
        if (rollover) await assertWageInForce(v.regionCode, v.year - 1, ctx);
        const effectiveFrom = version ? fromParts(version.effectiveFrom!.year, version.effectiveFrom!.month, version.effectiveFrom!.day) : `${v.year}-01-01`;
        if (v.payrollMonth < effectiveFrom.slice(0, 7)) throw invalidArgument('payrollMonth', `before the effective month ${effectiveFrom.slice(0, 7)}`);
        const row = await store.insertRun(pool, {
          id: randomUUID(),
          run_id: runId,
          year: v.year,
          level,
          region_code: v.regionCode,
          effective_from: effectiveFrom,
          payroll_month: v.payrollMonth,
          version_id: version?.id ?? null,
          kind: rollover ? 'NURSING_ROLLOVER' : 'STANDARDS',
          simulated_revision: version?.revision ?? 0n,
          started_by: starter.subject,
          drafted_by_run: v.source.$case === 'rows',
        });
        if (!row) return { adjustment: view((await store.currentRun(pool, runId))!), started: false }; // a concurrent start won
        if (level === 'NATIONAL') await store.resolveDue(pool, v.year, runId);
        if (rollover) await store.resolveRolloverDue(pool, v.regionCode, v.year, runId);
        await (await d.temporal()).workflow.start('annualAdjustment', {
          taskQueue: d.workflowsQueue,
          workflowId: runId,
          workflowIdConflictPolicy: 'TERMINATE_EXISTING',
          args: [
            {
              attemptId: row.id,
              runId,
              versionId: version?.id ?? '',
              ...(rollover ? { rolloverKey: rolloverKeyOf(v.year, v.regionCode) } : {}),
              level,
              effectiveFrom,
              payrollMonth: v.payrollMonth,
              regionCode: v.regionCode,
              startedBy: starter.subject,
              personsQueue: d.personsQueue,
              adjustmentQueue: d.activityQueue,
              ...(d.payrollPoll ? { payrollPoll: d.payrollPoll } : {}),
              ...(d.partitions ? { partitions: d.partitions } : {}),
              ...(d.pageSize ? { pageSize: d.pageSize } : {}),
              ...(d.reminderAfter ? { reminderAfter: d.reminderAfter } : {}),
            } satisfies AdjustmentInput,
          ],
        });
        return { adjustment: view(row), started: true };
      },

      async getAdjustment(req) {
        const { runId } = parseInput(z.object({ runId: runIdArg }), req);
        return { adjustment: view(await progress(await mustRun(runId))) };
      },

      async listAdjustments(req) {
        const { page } = parseInput(z.object({ page: pageRequest }), req);
        const after = decodeCursor(z.object({ seq: z.string().regex(/^\d{1,19}$/) }), page.token);
        const rows = await store.listRuns(pool, after?.seq ?? null, page.size + 1);
        const { items, nextPageToken } = pageOf(rows, page.size, (last) => ({ seq: last.seq.toString() }));
        return { adjustments: items.map(view), page: { nextPageToken } };
      },

      async listImpact(req, ctx) {
        const v = parseInput(z.object({ runId: runIdArg, page: pageRequest, changedSinceSimulation: z.boolean() }), req);
        const r = await mustRun(v.runId);
        return d.persons.listAdjustmentImpact({ runId: r.id, page: { pageSize: v.page.size, pageToken: v.page.token ?? '' }, changedSinceSimulation: v.changedSinceSimulation }, ctx);
      },

      async approveAdjustment(req, ctx) {
        const v = parseInput(z.object({ runId: runIdArg, payrollMonth: yearMonth, note: z.string().max(2000) }), req);
        const r = await decidable(v.runId, ctx);
        if (v.payrollMonth !== r.payroll_month) throw failedPrecondition('PAYROLL_MONTH_CHANGED', `the run was simulated for payroll ${r.payroll_month}; start a new simulation for ${v.payrollMonth}`);
        // The approver's own decision in standards and persons: their token, never `act`.
        const asApprover = ownToken(ctx);
        if (!r.apply_change_id) throw failedPrecondition('ADJUSTMENT_NOT_SIMULATED', `run ${v.runId} has no apply change yet`);
        // Too late once payroll P ran (it paid the old rate without back pay): refused before anything is published.
        const ranP = await d.persons.listPayrollLines({ month: req.payrollMonth, personId: '', page: { pageSize: 1, pageToken: '' } }, ctx);
        if (ranP.lines.length) throw failedPrecondition('PAYROLL_MONTH_CLOSED', `the payroll of ${r.payroll_month} has run; start the run again with a later payroll month`);
        if (r.version_id) await approveAndPublish(r, r.version_id, ctx, asApprover);
        const change = (await d.persons.getChangeRequest({ changeId: r.apply_change_id }, ctx)).change!;
        if (change.status === ChangeStatus.CHANGE_STATUS_PROPOSED) await d.persons.approveChange({ changeId: r.apply_change_id, note: v.note }, ctx, asApprover);
        const done = await store.setPhase(pool, r.id, 'PUBLISHED', { from: 'AWAITING_APPROVAL', decidedBy: effective(ctx.caller).subject, note: v.note });
        await store.resolveOverdue(pool, r.id, r.run_id);
        await signal(r, true);
        return { adjustment: view(done ?? (await mustRun(v.runId))) };
      },

      async rejectAdjustment(req, ctx) {
        const v = parseInput(z.object({ runId: runIdArg, reason: z.string().trim().min(1, 'required').max(2000) }), req);
        const r = await decidable(v.runId, ctx);
        if (r.version_id) await discard(r.version_id, `adjustment ${v.runId} rejected: ${v.reason}`, ctx);
        const done = await store.setPhase(pool, r.id, 'REJECTED', { from: 'AWAITING_APPROVAL', decidedBy: effective(ctx.caller).subject, note: v.reason });
        await store.resolveOverdue(pool, r.id, r.run_id);
        await signal(r, false);
        return { adjustment: view(done ?? (await mustRun(v.runId))) };
      },

      async listPendingItems(req) {
        const { includeResolved, page } = parseInput(z.object({ includeResolved: z.boolean(), page: pageRequest }), req);
        const after = decodeCursor(z.object({ seq: z.string().regex(/^\d{1,19}$/) }), page.token);
        const rows = await store.listPending(pool, includeResolved, after?.seq ?? null, page.size + 1);
        const { items, nextPageToken } = pageOf(rows, page.size, (last) => ({ seq: last.seq.toString() }));
        return {
          items: items.map((i) => ({
            itemId: i.id,
            kind: i.kind,
            subject: i.subject,
            description: i.description,
            createdAt: i.created_at,
            ...(i.resolved_at ? { resolvedAt: i.resolved_at } : {}),
            resolvedByRun: i.resolved_by_run ?? '',
          })),
          page: { nextPageToken },
        };
      },

      async pauseAdjustment(req) {
        return { adjustment: view(await hold(parseInput(z.object({ runId: runIdArg }), req).runId, true)) };
      },

      async resumeAdjustment(req) {
        return { adjustment: view(await hold(parseInput(z.object({ runId: runIdArg }), req).runId, false)) };
      },

      async cancelAdjustment(req, ctx) {
        const v = parseInput(z.object({ runId: runIdArg, reason: z.string().trim().min(1, 'required').max(2000) }), req);
        const r = await mustRun(v.runId);
        if (r.phase === 'PUBLISHED' || r.phase === 'APPLYING' || r.phase === 'COMPLETED') throw failedPrecondition('ALREADY_PUBLISHED', `run ${v.runId} published its standards version; it can no longer be cancelled`);
        if (store.ENDED_UNPUBLISHED.includes(r.phase)) throw failedPrecondition('ADJUSTMENT_ENDED', `run ${v.runId} is already ${r.phase}`);
        if (r.drafted_by_run && r.version_id) await discard(r.version_id, `adjustment ${v.runId} cancelled: ${v.reason}`, ctx);
        const done = await store.setPhase(pool, r.id, 'CANCELLED', { from: r.phase, decidedBy: effective(ctx.caller).subject, note: v.reason });
        if (!done) throw aborted('PHASE_CHANGED', `run ${v.runId} moved on meanwhile; read it again`);
        await store.resolveOverdue(pool, r.id, r.run_id);
        await (await d.temporal()).workflow.getHandle(r.run_id).signal('cancel');
        return { adjustment: view(done) };
      },
    },
  });
}


