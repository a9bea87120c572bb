/**
 * The persons service's Temporal activities (task queue `persons`), for workflows that work on the
 * registry in pages: today the annual adjustment's impact simulation.
 */
import type { Pool } from '../lib/db';
import type { PersonsService } from './service';
import { simulatePage, type SimulatePageInput, type SimulatedPage } from './simulation';

export function createPersonsActivities(d: { svc: PersonsService; pool: Pool }) {
  return {
    /** Simulates one page of persons against a candidate standards version (simulation.ts); idempotent per run and person. */
    async simulateAdjustmentPage(i: SimulatePageInput): Promise<SimulatedPage> {
      return simulatePage(d, i);
    },
  };
}
