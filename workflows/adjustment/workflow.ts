import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { createAdjustmentActivities } from '../../services/adjustment/activities';
import { simulationWorkflowId } from '../../services/adjustment/domain/ids';
import type { createPersonsActivities } from '../../services/persons/activities';

/**
 * The annual adjustment (issue 10), phase by phase as they are built. Today: the impact simulation —
 * every person of the region costed against the candidate standards version, a page at a time in
 * persons' activities (queue `persons`), the rows kept in persons (ListAdjustmentImpact). Continues
 * as new every PAGES_PER_RUN pages, so a million persons keep the history small.
 */
export interface SimulationInput {
  runId: string;
  candidateVersionId: string;
  effectiveFrom: string;
  payrollMonth: string;
  regionCode: string;
  /** The persons service's activity queue (`persons`). */
  personsQueue: string;
  pageSize?: number;
  /** Carried over by continue-as-new. */
  after?: string;
  persons?: number;
  backPayFen?: string;
  paused?: boolean;
  total?: number;
}

export interface SimulationProgress {
  persons: number;
  backPayFen: string;
  done: boolean;
  /** Persons of the region (once counted). */
  total?: number;
}

export const simulationProgress = defineQuery<SimulationProgress>('progress');
/** Pauses (true) or resumes (false) the paging after the page under way. */
export const paused = defineSignal<[boolean]>('paused');

const PAGES_PER_RUN = 200;

export async function adjustmentSimulation(input: SimulationInput): Promise<SimulationProgress> {
  const { simulateAdjustmentPage, countAdjustmentPersons } = proxyActivities<ReturnType<typeof createPersonsActivities>>({
    taskQueue: input.personsQueue,
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  let persons = input.persons ?? 0;
  let backPay = BigInt(input.backPayFen ?? '0');
  let after = input.after ?? '';
  let done = false;
  let holding = input.paused ?? false;
  let total = input.total ?? -1;
  setHandler(simulationProgress, () => ({ persons, backPayFen: backPay.toString(), done, ...(total >= 0 ? { total } : {}) }));
  setHandler(paused, (p) => void (holding = p));
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    await condition(() => !holding);
    if (total < 0) total = await countAdjustmentPersons(input.regionCode);
    const r = await simulateAdjustmentPage({
      runId: input.runId,
      candidateVersionId: input.candidateVersionId,
      effectiveFrom: input.effectiveFrom,
      payrollMonth: input.payrollMonth,
      regionCode: input.regionCode,
      after,
      limit: input.pageSize ?? 1000,
    });
    persons += r.processed;
    backPay += BigInt(r.backPayFen);
    after = r.next;
    if (!after) {
      done = true;
      return { persons, backPayFen: backPay.toString(), done, total };
    }
  }
  return continueAsNew<typeof adjustmentSimulation>({ ...input, after, persons, backPayFen: backPay.toString(), paused: holding, total });
}

export interface AdjustmentInput {
  /** This attempt (runs.id): the simulation's rows in persons are kept under it. */
  attemptId: string;
  /** The workflow id, `adjustment:{year}:{national|region code}`. */
  runId: string;
  versionId: string;
  effectiveFrom: string;
  payrollMonth: string;
  regionCode: string;
  personsQueue: string;
  /** The adjustment service's activity queue (`adjustment`). */
  adjustmentQueue: string;
}

/** The approver's decision, signalled by ApproveAdjustment / RejectAdjustment once they did their part. */
export const decided = defineSignal<[{ approved: boolean }]>('decided');
/** CancelAdjustment, once it discarded the draft: the run ends. */
export const cancel = defineSignal('cancel');

/**
 * One annual adjustment run (workflow id `adjustment:{year}:{region}`): the impact simulation (a
 * child workflow paging through persons), the totals recorded by the adjustment service, then the
 * wait for the approver. ApproveAdjustment approves and publishes the standards version with the
 * approver's own token and signals `decided`; RejectAdjustment discards the draft. The apply phase
 * (back pay written in persons) is the next step to build.
 */
export async function annualAdjustment(input: AdjustmentInput): Promise<{ approved: boolean; cancelled?: boolean }> {
  const { recordSimulated } = proxyActivities<ReturnType<typeof createAdjustmentActivities>>({
    taskQueue: input.adjustmentQueue,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  let decision: { approved: boolean } | undefined;
  let cancelled = false;
  setHandler(decided, (d) => void (decision ??= d));
  setHandler(cancel, () => void (cancelled = true));
  const simulation = await startChild(adjustmentSimulation, {
    workflowId: simulationWorkflowId(input.runId, input.attemptId),
    args: [{ runId: input.attemptId, candidateVersionId: input.versionId, effectiveFrom: input.effectiveFrom, payrollMonth: input.payrollMonth, regionCode: input.regionCode, personsQueue: input.personsQueue }],
  });
  let simulated = false;
  void simulation.result().then(() => void (simulated = true));
  await condition(() => simulated || cancelled);
  if (cancelled) return { approved: false, cancelled: true }; // the child is cancelled with its parent (ParentClosePolicy)
  await recordSimulated(input.attemptId);
  await condition(() => decision !== undefined || cancelled);
  return cancelled && !decision ? { approved: false, cancelled: true } : decision!;
}

/**
 * Every 1 August (the adjustment service's schedule `adjustment:due`): the year's adjustment is due —
 * a pending item for staff and an AdjustmentDue event, once per year (idempotent).
 */
export async function adjustmentDue(input: { adjustmentQueue: string }): Promise<{ year: number; itemId: string; fresh: boolean }> {
  const { recordAdjustmentDue } = proxyActivities<ReturnType<typeof createAdjustmentActivities>>({
    taskQueue: input.adjustmentQueue,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  // The run's start (a schedule's nominal time), not the activity's.
  return recordAdjustmentDue(workflowInfo().runStartTime.toISOString());
}
