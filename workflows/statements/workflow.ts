import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createSettlementActivities } from '../../services/settlement/activities';

export interface StatementCutOffInput {
  /** YYYY-MM; empty: the month before the run (what the monthly schedule passes). */
  period: string;
  /** The settlement service's activity queue (`settlement`). */
  activityQueue: string;
}

/**
 * The monthly cut-off of every hospital's statement (started by the settlement service's schedule
 * `settlement:statement-cutoff`, 00:05 on the 1st, Asia/Shanghai): one activity, idempotent, so a
 * re-run or a manual start for a period already cut off changes nothing. Closing is the approver's.
 */
export async function statementCutOff(input: StatementCutOffInput) {
  const { cutOffStatements } = proxyActivities<ReturnType<typeof createSettlementActivities>>({
    taskQueue: input.activityQueue,
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  // The run's start (a schedule's nominal time), not the activity's: a late or retried run still cuts off the right month.
  return cutOffStatements(input.period, workflowInfo().runStartTime.toISOString());
}
