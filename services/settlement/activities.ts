/**
 * The settlement workflow's activities, hosted by the settlement service on its task queue
 * (`settlement`). The workflow passes only the attempt's id: the ID number and name are read here,
 * decrypted, and never enter a workflow history.
 */
import { AMOUNT_FIELDS, type BillAmounts } from './domain/rules';
import {
  abandonRequest,
  billOf,
  FAILED,
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
import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { cutOff, duePeriods, netOf } from './statements';

/** Bill amounts as decimal fen (bigints do not cross Temporal's JSON). */
export type AmountsJson = { [K in keyof BillAmounts]: string };

/** What the eligibility step found. */
export type EligibilityStep =
  | { kind: 'settled'; answer: SettleAnswer }
  | { kind: 'rejected'; reason: Rejection }
  /** Given up earlier (FAILED): the hospital sends the bill again, as a new attempt. */
  | { kind: 'failed' }
  | { kind: 'eligible'; personId: string; masked: string; rule: RuleJson; amounts: AmountsJson };

export function createSettlementActivities(d: CoreDeps) {
  return {
    /**
     * Eligibility on the discharge date (persons' CheckEligibility) and the rule that pays. An
     * attempt already decided answers as it was decided; a rejection is recorded on the attempt
     * (freeing the bill number), with persons' detailed reason for staff.
     */
    async settlementEligibility(requestId: string): Promise<EligibilityStep> {
      const decided = async (): Promise<EligibilityStep | undefined> => {
        const req = await requestById(d.pool, requestId);
        if (req.status === 'REJECTED') return req.reject_reason === FAILED ? { kind: 'failed' } : { kind: 'rejected', reason: req.reject_reason! };
        if (req.status === 'SETTLED') {
          const s = (await d.pool.query<SettlementRow>('SELECT * FROM settlements WHERE request_id = $1', [requestId])).rows[0]!;
          return { kind: 'settled', answer: answerOf(s) };
        }
        return undefined;
      };
      const before = await decided();
      if (before) return before;
      const req = await requestById(d.pool, requestId);
      const bill = billOf(req);
      const e = await eligibilityOf(d, d.pii.decrypt(req.id_enc), d.pii.decrypt(req.name_enc), bill.dischargeDate);
      if (!e.ok) {
        if (await rejectRequest(d.pool, requestId, e.reason, e.detail, d.clock.now())) return { kind: 'rejected', reason: e.reason };
        return (await decided())!; // decided meanwhile by another execution: its answer stands
      }
      const rule = await ruleFor(d.pool, e.held, bill.visitType, bill.dischargeDate);
      const amounts = Object.fromEntries(AMOUNT_FIELDS.map((k) => [k, bill[k].toString()])) as AmountsJson;
      return { kind: 'eligible', personId: e.personId, masked: e.masked, rule: ruleJson(rule), amounts };
    },

    /** Locks the cap, pays within it, records the settlement and its event (core.ts `commitSettlement`). */
    async commitSettlement(c: CommitInput): Promise<SettleAnswer> {
      return commitSettlement(d, c);
    },

    /** Gives up an attempt that could not be settled, freeing its bill number (core.ts `abandonRequest`). */
    async abandonSettlement(requestId: string, detail: string): Promise<boolean> {
      return abandonRequest(d.pool, requestId, detail, d.clock.now());
    },

    /**
     * Cuts off `period` (YYYY-MM) for every hospital; with none, the month before `asOf` (the run's
     * start) and any earlier period left open. Returns what it prepared.
     */
    async cutOffStatements(period: string, asOf: string): Promise<{ periods: string[]; prepared: { hospital: string; period: string; net: string }[] }> {
      const p = parseInput(z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$|^$/, 'YYYY-MM or empty'), period, ['period']);
      const at = parseInput(z.string().datetime(), asOf, ['asOf']);
      const now = d.clock.now();
      const periods = p ? [p] : await duePeriods(d.pool, new Date(at));
      const prepared = [];
      for (const x of periods) prepared.push(...(await cutOff(d.pool, x, now)));
      return { periods, prepared: prepared.map((r) => ({ hospital: r.hospital, period: r.period, net: netOf(r.totals!).toString() })) };
    },
  };
}
