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
 * is proposed to persons at once (the activity acts for the officer, exactly once per attempt).
 * Assigned-work cases get a line of the waiting allowance as each month waited ends; a
 * college-student veteran's 2-year window to resume study is flagged when it closes unused. It ends
 * once the case is closed (or lapsed) and waits on nothing more.
 */
export async function resettlementCase(input: CaseInput): Promise<void> {
  const { caseDeadlines, missDeadline, proposeRegistration, recordAllowance } = proxyActivities<ReturnType<typeof createResettlementActivities>>({
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
    // Act on everything due; then sleep until the next deadline, a change, or a while.
    const now = Date.now();
    let acted = false;
    for (const d of s.deadlines.filter((x) => Date.parse(x.at) <= now)) {
      const r = d.deadline === 'ALLOWANCE' ? await recordAllowance(input.caseId, d.dueOn) : await missDeadline(input.caseId, d.deadline, d.dueOn);
      acted ||= r.acted;
    }
    if (acted) continue;
    // (A due item not acted on — e.g. no minimum wage set for the month yet — is looked at again then.)
    const next = s.deadlines.find((x) => Date.parse(x.at) > now);
    await condition(() => changed, Math.min(next ? Date.parse(next.at) - now : REVIEW_MS, REVIEW_MS));
  }
  await continueAsNew<typeof resettlementCase>(input);
}
