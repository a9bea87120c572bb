/**
 * The persons service's Temporal activities (task queue `persons`), for workflows that work on the
 * registry in pages: the annual adjustment's simulation and apply (adjustment.ts). They run as this
 * service; the apply refuses to write without its approved STANDARDS_ADJUSTMENT change request.
 */
import type { Pool } from '../lib/db';
import * as adjustment from './adjustment';
import type { PersonsService } from './service';

export function createPersonsActivities(d: { svc: PersonsService; pool: Pool }) {
  return {
    /** Simulates one page of persons against a candidate standards version; idempotent per run and person. */
    async simulateAdjustmentPage(i: adjustment.SimulatePageInput): Promise<adjustment.PageResult> {
      return adjustment.simulatePage(d, i);
    },

    /** How many persons a region's simulation or apply pages through (its progress total). */
    async countAdjustmentPersons(regionCode: string): Promise<number> {
      const { rows } = await d.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM persons WHERE district LIKE $1', [`${adjustment.regionPrefix(regionCode)}%`]);
      return rows[0]!.n;
    },

    /** Proposes the run's STANDARDS_ADJUSTMENT change request (once per attempt). */
    async proposeAdjustmentChange(i: adjustment.ProposeApplyInput): Promise<{ changeId: string }> {
      return adjustment.proposeApply(d.pool, i);
    },

    /** A rejected or cancelled run's change request is withdrawn. */
    async withdrawAdjustmentChange(i: { changeId: string; reason: string }): Promise<void> {
      await adjustment.withdrawApply(d.pool, i.changeId, i.reason);
    },

    /** Whether the apply may start (change approved, payroll P−1 closed). */
    async adjustmentApplyReadiness(changeId: string): Promise<{ ready: boolean; waitingFor: string }> {
      return adjustment.applyReadiness(d.pool, changeId);
    },

    async beginAdjustmentApply(changeId: string): Promise<void> {
      await adjustment.beginApply(d.pool, changeId);
    },

    /** Applies one page of unmarked persons; a page again writes nothing twice (markers). */
    async applyAdjustmentPage(i: adjustment.ApplyPageInput): Promise<adjustment.ApplyPageResult> {
      return adjustment.applyPage(d, i);
    },

    /** Ends the apply (payroll P may run) and returns its totals. */
    async completeAdjustmentApply(changeId: string): Promise<adjustment.ApplyTotals> {
      return adjustment.completeApply(d.pool, changeId);
    },
  };
}
