import { condition, continueAsNew, defineQuery, defineSignal, executeChild, proxyActivities, setHandler, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import type { createAdjustmentActivities } from '../../services/adjustment/activities';
import { applyWorkflowId, simulationWorkflowId } from '../../services/adjustment/domain/ids';
import type { createPersonsActivities } from '../../services/persons/activities';
import { ranges, walk, type Range } from './paging';

/**
 * The annual adjustment (issue 10). The impact simulation: every person of the region costed
 * against the candidate standards version, a page at a time in persons' activities (queue
 * `persons`, PARTITIONS chains at once: paging.ts), the rows kept in persons
 * (ListAdjustmentImpact). Continues as new every PAGES_PER_RUN pages, so a million persons keep
 * the history small.
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
  /** Concurrent chains of pages (divides 16). */
  partitions?: number;
  /** Carried over by continue-as-new. */
  ranges?: Range[];
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

/** Pages per workflow run before it continues as new (history stays small at a million persons). */
const PAGES_PER_RUN = 200;
const PAGE_SIZE = 1000;
/** Pages under way at once (two cores: two). */
const PARTITIONS = 2;

export async function adjustmentSimulation(input: SimulationInput): Promise<SimulationProgress> {
  const { simulateAdjustmentPage, countAdjustmentPersons } = proxyActivities<ReturnType<typeof createPersonsActivities>>({
    taskQueue: input.personsQueue,
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  let persons = input.persons ?? 0;
  let backPay = BigInt(input.backPayFen ?? '0');
  const rs = input.ranges ?? ranges(input.partitions ?? PARTITIONS);
  let done = false;
  let holding = input.paused ?? false;
  let total = input.total ?? -1;
  setHandler(simulationProgress, () => ({ persons, backPayFen: backPay.toString(), done, ...(total >= 0 ? { total } : {}) }));
  setHandler(paused, (p) => void (holding = p));
  await condition(() => !holding);
  if (total < 0) total = await countAdjustmentPersons(input.regionCode);
  const w = await walk(rs, PAGES_PER_RUN, () => condition(() => !holding), async (r) => {
    const page = await simulateAdjustmentPage({
      runId: input.runId,
      candidateVersionId: input.candidateVersionId,
      effectiveFrom: input.effectiveFrom,
      payrollMonth: input.payrollMonth,
      regionCode: input.regionCode,
      after: r.after,
      before: r.before,
      limit: input.pageSize ?? PAGE_SIZE,
    });
    persons += page.processed;
    backPay += BigInt(page.backPayFen);
    return page.next;
  });
  if (!w.done) return continueAsNew<typeof adjustmentSimulation>({ ...input, ranges: rs, persons, backPayFen: backPay.toString(), paused: holding, total });
  done = true;
  return { persons, backPayFen: backPay.toString(), done, total };
}

export interface ApplyInput {
  /** The persons change request (STANDARDS_ADJUSTMENT) the apply writes under. */
  changeId: string;
  regionCode: string;
  personsQueue: string;
  pageSize?: number;
  /** Concurrent chains of pages (divides 16). */
  partitions?: number;
  /** Carried over by continue-as-new. */
  ranges?: Range[];
  persons?: number;
  backPayFen?: string;
  funeralFen?: string;
  /** Pass 1 reaches everyone; each further pass (the sweep) those not reached yet; the last finds none. */
  pass?: number;
  seenInPass?: number;
  paused?: boolean;
  total?: number;
}

export interface ApplyProgress extends SimulationProgress {
  funeralFen: string;
  pass: number;
}

/**
 * The apply phase's paging (child of annualAdjustment): persons' `applyAdjustmentPage` over the
 * region's persons not marked yet, then sweeps (persons registered or changed meanwhile) until a
 * pass finds nobody. Same `progress` query and `paused` signal as the simulation.
 */
export async function adjustmentApply(input: ApplyInput): Promise<ApplyProgress> {
  const { applyAdjustmentPage, countAdjustmentPersons } = proxyActivities<ReturnType<typeof createPersonsActivities>>({
    taskQueue: input.personsQueue,
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  let persons = input.persons ?? 0;
  let backPay = BigInt(input.backPayFen ?? '0');
  let funeral = BigInt(input.funeralFen ?? '0');
  const k = input.partitions ?? PARTITIONS;
  let rs = input.ranges ?? ranges(k);
  let pass = input.pass ?? 1;
  let seen = input.seenInPass ?? 0;
  let holding = input.paused ?? false;
  let total = input.total ?? -1;
  let done = false;
  const now = (): ApplyProgress => ({ persons, backPayFen: backPay.toString(), funeralFen: funeral.toString(), done, pass, ...(total >= 0 ? { total } : {}) });
  setHandler(simulationProgress, now);
  setHandler(paused, (p) => void (holding = p));
  await condition(() => !holding);
  if (total < 0) total = await countAdjustmentPersons(input.regionCode);
  let budget = PAGES_PER_RUN;
  for (;;) {
    const w = await walk(rs, budget, () => condition(() => !holding), async (r) => {
      const page = await applyAdjustmentPage({ changeId: input.changeId, after: r.after, before: r.before, limit: input.pageSize ?? PAGE_SIZE });
      persons += page.applied;
      seen += page.processed;
      backPay += BigInt(page.backPayFen);
      funeral += BigInt(page.funeralFen);
      return page.next;
    });
    budget -= w.pages;
    if (w.done && seen === 0) {
      done = true;
      return now();
    }
    if (w.done) [pass, seen, rs] = [pass + 1, 0, ranges(k)];
    if (!w.done || budget <= 0) {
      return continueAsNew<typeof adjustmentApply>({ ...input, ranges: rs, persons, backPayFen: backPay.toString(), funeralFen: funeral.toString(), pass, seenInPass: seen, paused: holding, total });
    }
  }
}

export interface AdjustmentInput {
  /** This attempt (runs.id): the simulation's rows in persons are kept under it. */
  attemptId: string;
  /** The workflow id, `adjustment:{year}:{national|region code}`. */
  runId: string;
  /** The standards version applied; '' for a January roll-over. */
  versionId: string;
  /** A January roll-over: the key it applies under in persons, `index:AVERAGE_MONTHLY_WAGE:{city}:{year − 1}`. */
  rolloverKey?: string;
  level: 'NATIONAL' | 'LOCAL';
  effectiveFrom: string;
  payrollMonth: string;
  regionCode: string;
  /** The clerk who started it (the persons change request is theirs: the approver must be another). */
  startedBy: string;
  personsQueue: string;
  /** The adjustment service's activity queue (`adjustment`). */
  adjustmentQueue: string;
  /** How often the apply looks again whether payroll P−1 has closed. */
  payrollPoll?: string;
  /** Pages under way at once in the simulation and the apply (divides 16). */
  partitions?: number;
  /** Persons per page (default 1,000). */
  pageSize?: number;
  /** How long a simulated run waits for its approver before the reminder (default 7 days). */
  reminderAfter?: string;
}

/** The approver's decision, signalled by ApproveAdjustment / RejectAdjustment once they did their part. */
export const decided = defineSignal<[{ approved: boolean }]>('decided');
/** CancelAdjustment, once it discarded the draft: the run ends. */
export const cancel = defineSignal('cancel');

/** The paging settings a run hands its children. */
const paging = (i: AdjustmentInput) => ({ ...(i.partitions ? { partitions: i.partitions } : {}), ...(i.pageSize ? { pageSize: i.pageSize } : {}) });

export interface AdjustmentResult {
  approved: boolean;
  cancelled?: boolean;
  applied?: Awaited<ReturnType<ReturnType<typeof createPersonsActivities>['completeAdjustmentApply']>>;
}

/**
 * One annual adjustment run (workflow id `adjustment:{year}:{region}`): the persons change request
 * the apply will write under, the impact simulation (a child workflow paging through persons), the
 * totals recorded by the adjustment service, then the wait for the approver. ApproveAdjustment
 * approves and publishes the standards version and the change request with the approver's own
 * token and signals `decided`. Then the apply: once payroll P−1 has closed, the version is recorded
 * in persons and the child `adjustmentApply` pages through the region (payroll P waits meanwhile);
 * the totals end the run (COMPLETED, AdjustmentCompleted). A rejection or cancellation withdraws
 * the change request.
 */
export async function annualAdjustment(input: AdjustmentInput): Promise<AdjustmentResult> {
  const own = proxyActivities<ReturnType<typeof createAdjustmentActivities>>({
    taskQueue: input.adjustmentQueue,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  const persons = proxyActivities<ReturnType<typeof createPersonsActivities>>({
    taskQueue: input.personsQueue,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  let decision: { approved: boolean } | undefined;
  let cancelled = false;
  setHandler(decided, (d) => void (decision ??= d));
  setHandler(cancel, () => void (cancelled = true));
  const { changeId } = await persons.proposeAdjustmentChange({
    attemptId: input.attemptId,
    workflowId: input.runId,
    ...(input.rolloverKey ? { basis: 'INDEX' as const, versionId: input.rolloverKey } : { versionId: input.versionId }),
    level: input.level,
    regionCode: input.regionCode,
    effectiveFrom: input.effectiveFrom,
    payrollMonth: input.payrollMonth,
    proposedBy: input.startedBy,
  });
  const withdraw = async (why: string) => {
    await persons.withdrawAdjustmentChange({ changeId, reason: `adjustment ${input.runId} ${why}` });
    return { approved: false, ...(why === 'cancelled' ? { cancelled: true } : {}) };
  };
  const simulation = await startChild(adjustmentSimulation, {
    workflowId: simulationWorkflowId(input.runId, input.attemptId),
    args: [{ runId: input.attemptId, candidateVersionId: input.versionId, effectiveFrom: input.effectiveFrom, payrollMonth: input.payrollMonth, regionCode: input.regionCode, personsQueue: input.personsQueue, ...paging(input) }],
  });
  let simulated = false;
  void simulation.result().then(() => void (simulated = true));
  await condition(() => simulated || cancelled);
  if (cancelled) return withdraw('cancelled'); // the child is cancelled with its parent (ParentClosePolicy)
  await own.recordSimulated(input.attemptId, changeId);
  // An approver who has not decided after `reminderAfter`: a pending item and AdjustmentApprovalOverdue, once.
  if (!(await condition(() => decision !== undefined || cancelled, input.reminderAfter ?? '7 days'))) {
    await own.recordApprovalOverdue(input.attemptId);
    await condition(() => decision !== undefined || cancelled);
  }
  if (!decision?.approved) return withdraw(decision ? 'rejected' : 'cancelled');

  // Apply: after payroll P−1, so that every month before P is settled and back pay covers it.
  while (!(await persons.adjustmentApplyReadiness(changeId)).ready) await sleep(input.payrollPoll ?? '1 hour');
  await persons.beginAdjustmentApply(changeId);
  await own.recordApplying(input.attemptId);
  await executeChild(adjustmentApply, { workflowId: applyWorkflowId(input.runId, input.attemptId), args: [{ changeId, regionCode: input.regionCode, personsQueue: input.personsQueue, ...paging(input) }] });
  const applied = await persons.completeAdjustmentApply(changeId);
  await own.recordCompleted(input.attemptId, applied);
  return { approved: true, applied };
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
