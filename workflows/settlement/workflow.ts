import { allHandlersFinished, condition, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { appFailure } from '../../services/lib/app-failure';
import type { AmountsJson, createSettlementActivities } from '../../services/settlement/activities';
import type { SettleAnswer } from '../../services/settlement/core';
import { REJECTIONS, uncappedSubsidy, type BillAmounts } from '../../services/settlement/domain/rules';

/**
 * The hospital's Settle call, as an update carrying the attempt's id: it answers once the
 * settlement is committed (or refuses with the rejection's reason). An update for another attempt
 * of the same bill (a corrected bill sent while this run is closing) is refused as ABORTED
 * `SETTLEMENT_IN_FLIGHT`, and the handler retries.
 */
export const settleUpdate = defineUpdate<SettleAnswer, [string]>('settle');

export interface SettlementInput {
  /** The attempt (settlement_requests.id): the bill's content stays in the settlement database. */
  requestId: string;
}

const failedAttempt = () =>
  appFailure('UNAVAILABLE', 'SETTLEMENT_FAILED', 'the settlement could not be completed (eligibility could not be checked); nothing was paid; send the bill again');

type Outcome = { ok: true; answer: SettleAnswer } | { ok: false; error: unknown };

const toAmounts = (a: AmountsJson): BillAmounts => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, BigInt(v)])) as unknown as BillAmounts;

/**
 * One bill of one hospital (workflow id `settlement:{hospital}:{billNo}`): eligibility → the
 * uncapped subsidy (pure, here) → one transaction that locks the person's cap, pays within it and
 * records the settlement. It gets only the attempt's id; nothing personal enters its history.
 *
 * The settlement service runs this workflow on its own queue, and both steps as local activities:
 * a settlement is then one workflow task — one round trip through the Temporal server instead of
 * five (test/bench/settlement.ts). Both steps are idempotent by the attempt's id, so a step that
 * runs again after a crash (a local activity not yet recorded) changes nothing.
 */
export async function settlement({ requestId }: SettlementInput): Promise<SettleAnswer | null> {
  // Bounded: the hospital is at the desk. Retries exhausted (persons unreachable for ~20 s), the
  // attempt is given up, which frees the bill number, and the hospital sends the bill again.
  const { settlementEligibility, commitSettlement } = proxyLocalActivities<ReturnType<typeof createSettlementActivities>>({
    startToCloseTimeout: '15 seconds',
    retry: { initialInterval: '100 ms', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 8 },
  });
  const { abandonSettlement } = proxyLocalActivities<ReturnType<typeof createSettlementActivities>>({
    startToCloseTimeout: '15 seconds',
    retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  });
  let outcome: Outcome | undefined;
  setHandler(
    settleUpdate,
    async () => {
      await condition(() => outcome !== undefined);
      if (outcome!.ok) return outcome!.answer;
      throw outcome!.error;
    },
    {
      validator: (id) => {
        if (id !== requestId) throw appFailure('ABORTED', 'SETTLEMENT_IN_FLIGHT', 'another attempt of this bill is still closing; retry');
      },
    },
  );
  try {
    const step = await settlementEligibility(requestId);
    if (step.kind === 'settled') outcome = { ok: true, answer: step.answer };
    else if (step.kind === 'rejected') outcome = { ok: false, error: appFailure('FAILED_PRECONDITION', step.reason, REJECTIONS[step.reason]) };
    else if (step.kind === 'failed') outcome = { ok: false, error: failedAttempt() };
    else {
      const uncapped = uncappedSubsidy(toAmounts(step.amounts), step.rule.ratioBp);
      const answer = await commitSettlement({ requestId, personId: step.personId, masked: step.masked, rule: step.rule, uncapped: uncapped.toString() });
      outcome = { ok: true, answer };
    }
  } catch (err) {
    // Not a rejection: give the attempt up unless it was settled after all (then its answer stands).
    if (await abandonSettlement(requestId, String(err))) outcome = { ok: false, error: failedAttempt() };
    else {
      const again = await settlementEligibility(requestId);
      outcome = again.kind === 'settled' ? { ok: true, answer: again.answer } : { ok: false, error: failedAttempt() };
    }
  }
  await condition(allHandlersFinished);
  return outcome.ok ? outcome.answer : null;
}
