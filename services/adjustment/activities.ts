/** The adjustment service's activities (task queue `adjustment`), for workflows/adjustment. */
import type { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import type { ServiceClient } from '../lib/clients';
import type { Pool } from '../lib/db';
import { shanghaiDate } from '../lib/civil';
import * as store from './store';

export function createAdjustmentActivities(d: { pool: Pool; persons: ServiceClient<typeof EntitledPersonServiceService> }) {
  return {
    /** The yearly schedule's step: the adjustment of `asOf`'s year (Asia/Shanghai) is due — a pending item and AdjustmentDue, once. */
    async recordAdjustmentDue(asOf: string): Promise<{ year: number; itemId: string; fresh: boolean }> {
      const at = new Date(asOf);
      const year = Number(shanghaiDate(at).slice(0, 4));
      const { item, fresh } = await store.recordDue(d.pool, year, at);
      return { year, itemId: item.id, fresh };
    },

    /** Records the simulation's totals (from persons' ListAdjustmentImpact) and the apply's change request, and waits for the approver. Idempotent. */
    async recordSimulated(attemptId: string, applyChangeId: string): Promise<void> {
      const r = await d.persons.listAdjustmentImpact({ runId: attemptId, page: { pageSize: 1, pageToken: '' }, changedSinceSimulation: false });
      const t = r.total;
      const fen = (m: { fen: bigint } | undefined) => (m?.fen ?? 0n).toString();
      await store.setPhase(d.pool, attemptId, 'AWAITING_APPROVAL', {
        from: 'SIMULATING',
        personsDone: t?.persons ?? 0n,
        applyChangeId,
        totals: {
          persons: String(t?.persons ?? 0n),
          personsAffected: String(t?.personsAffected ?? 0n),
          backPay: fen(t?.backPay),
          monthlyChange: fen(t?.monthlyChange),
          budgetToDecember: fen(t?.budgetToDecember),
          funeralTopUp: fen(t?.funeralTopUp),
        },
      });
    },

    /** The approver has not decided in time: a pending item and AdjustmentApprovalOverdue, once per attempt. */
    async recordApprovalOverdue(attemptId: string): Promise<void> {
      await store.recordApprovalOverdue(d.pool, attemptId);
    },

    /** The apply began (payroll P−1 closed): APPLYING. Idempotent. */
    async recordApplying(attemptId: string): Promise<void> {
      await store.setPhase(d.pool, attemptId, 'APPLYING', { from: 'PUBLISHED', personsDone: 0n });
    },

    /** The apply is done: COMPLETED with its totals and AdjustmentCompleted. Idempotent. */
    async recordCompleted(attemptId: string, applied: store.AppliedJson): Promise<void> {
      await store.recordCompleted(d.pool, attemptId, applied);
    },
  };
}
