import { condition, continueAsNew, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createResettlementActivities } from '../../services/resettlement/activities';

/** Something changed in the case (its service's consumer of youfu.resettlement.v1 signals every step). */
export const caseChanged = defineSignal('changed');

export interface CaseInput {
  /** The case id only: nothing personal enters the history. */
  caseId: string;
}

/** Looks at the case again at least this often, should a wake-up signal have been lost. */
const REVIEW_MS = 7 * 24 * 3600 * 1000;
/** Steps before a fresh history (continue-as-new). */
const ROUNDS = 200;

/**
 * One resettlement case (workflow id `resettlement-case:{caseId}`), run by the resettlement
 * service's own worker: it holds the case's deadline timers. Each round asks the case what it waits
 * on (its service computes the due dates from the case), sleeps until the earliest deadline or a
 * change, and when the deadline passed unmet has the service act on it with that due date — a
 * lapse at 00:00 Asia/Shanghai of day 61 after the discharge approval, or a flag (placement 6
 * months after reporting, onboarding 30 days after the referral). A registry transfer requested
 * is proposed to persons at once (the activity acts for the officer, exactly once per attempt). It
 * ends when the case closes or lapses.
 */
export async function resettlementCase(input: CaseInput): Promise<void> {
  const { caseDeadlines, missDeadline, proposeRegistration } = proxyActivities<ReturnType<typeof createResettlementActivities>>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  let changed = false;
  setHandler(caseChanged, () => {
    changed = true;
  });
  for (let round = 0; round < ROUNDS; round++) {
    changed = false;
    const s = await caseDeadlines(input.caseId);
    if (!s.open) return;
    if (s.transfer) {
      await proposeRegistration(input.caseId);
      continue;
    }
    const next = s.deadlines[0];
    const wait = next ? Math.max(0, Date.parse(next.at) - Date.now()) : REVIEW_MS;
    const woken = await condition(() => changed, Math.min(wait, REVIEW_MS));
    if (!woken && next && Date.now() >= Date.parse(next.at)) await missDeadline(input.caseId, next.deadline, next.dueOn);
  }
  await continueAsNew<typeof resettlementCase>(input);
}
