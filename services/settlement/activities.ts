/**
 * The settlement workflow's activities, hosted by the settlement service on its task queue
 * (`settlement`). The workflow passes only the attempt's id: the ID number and name are read here,
 * decrypted, and never enter a workflow history.
 */
import type { BillAmounts } from './domain/rules';
import {
  billOf,
  commitSettlement,
  eligibilityOf,
  rejectRequest,
  requestById,
  ruleFor,
  ruleJson,
  answerOf,
  type CommitInput,
  type CoreDeps,
  type Rejection,
  type RuleJson,
  type SettleAnswer,
  type SettlementRow,
} from './core';
import { cutOff, netOf, previousPeriod } from './statements';

/** Bill amounts as decimal fen (bigints do not cross Temporal's JSON). */
export type AmountsJson = { [K in keyof BillAmounts]: string };

/** What the eligibility step found. */
export type EligibilityStep =
  | { kind: 'settled'; answer: SettleAnswer }
  | { kind: 'rejected'; reason: Rejection }
  | { kind: 'eligible'; personId: string; masked: string; rule: RuleJson; amounts: AmountsJson };

export function createSettlementActivities(d: CoreDeps) {
  return {
    /**
     * Eligibility on the discharge date (persons' CheckEligibility) and the rule that pays. An
     * attempt already decided answers as it was decided; a rejection is recorded on the attempt
     * (freeing the bill number), with persons' detailed reason for staff.
     */
    async settlementEligibility(requestId: string): Promise<EligibilityStep> {
      const req = await requestById(d.pool, requestId);
      if (req.status === 'REJECTED') return { kind: 'rejected', reason: req.reject_reason! };
      if (req.status === 'SETTLED') {
        const s = (await d.pool.query<SettlementRow>('SELECT * FROM settlements WHERE request_id = $1', [requestId])).rows[0]!;
        return { kind: 'settled', answer: answerOf(s) };
      }
      const bill = billOf(req);
      const e = await eligibilityOf(d, d.pii.decrypt(req.id_enc), d.pii.decrypt(req.name_enc), bill.dischargeDate);
      if (!e.ok) {
        await rejectRequest(d.pool, requestId, e.reason, e.detail, d.clock.now());
        return { kind: 'rejected', reason: e.reason };
      }
      const rule = await ruleFor(d.pool, e.held, bill.visitType, bill.dischargeDate);
      const amounts = Object.fromEntries(
        (['totalCost', 'inScopeCost', 'basicInsurance', 'seriousIllnessInsurance', 'largeExpenseSubsidy', 'civilServantSubsidy', 'enterpriseSupplementary', 'otherFunds', 'medicalAssistance', 'hospitalWaiver'] as const).map(
          (k) => [k, bill[k].toString()],
        ),
      ) as AmountsJson;
      return { kind: 'eligible', personId: e.personId, masked: e.masked, rule: ruleJson(rule), amounts };
    },

    /** Locks the cap, pays within it, records the settlement and its event (core.ts `commitSettlement`). */
    async commitSettlement(c: CommitInput): Promise<SettleAnswer> {
      return commitSettlement(d, c);
    },

    /** Cuts off `period` (YYYY-MM; empty = the month before now) for every hospital; what it prepared. */
    async cutOffStatements(period: string): Promise<{ period: string; prepared: { hospital: string; net: string }[] }> {
      const now = d.clock.now();
      const p = period || previousPeriod(now);
      const rows = await cutOff(d.pool, p, now);
      return { period: p, prepared: rows.map((r) => ({ hospital: r.hospital, net: netOf(r.totals!).toString() })) };
    },
  };
}
