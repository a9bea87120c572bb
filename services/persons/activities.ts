/**
 * The persons service's Temporal activities (task queue `persons`), for workflows that work on the
 * registry in pages: today the annual adjustment's impact simulation.
 */
import type { Pool } from '../lib/db';
import type { PersonsService } from './service';
import { regionPrefix, simulatePage, type SimulatePageInput, type SimulatedPage } from './simulation';

export function createPersonsActivities(d: { svc: PersonsService; pool: Pool }) {
  return {
    /** Simulates one page of persons against a candidate standards version (simulation.ts); idempotent per run and person. */
    async simulateAdjustmentPage(i: SimulatePageInput): Promise<SimulatedPage> {
      return simulatePage(d, i);
    },

    /** How many persons a region's simulation pages through (its progress total). */
    async countAdjustmentPersons(regionCode: string): Promise<number> {
      const { rows } = await d.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM persons WHERE district LIKE $1', [`${regionPrefix(regionCode)}%`]);
      return rows[0]!.n;
    },
  };
}
