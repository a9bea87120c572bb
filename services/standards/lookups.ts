/** Batched benefit lookups against the store. */
import type { Pool } from '../lib/db';
import { computeBenefit, indexLookupOf, toTable, VersionsInForce, type Benefit, type IndexLookup, type LookupQuery, type LookupSettings, type Table } from './domain/lookup';
import type { Row } from './domain/keys';
import { cityOf, type Version } from './domain/versions';
import * as store from './store';

/** A version looked up as if it were published (an adjustment's draft being costed), with its rows as they are now. */
export interface Candidate {
  version: Version;
  rows: Row[];
}

/** A published version looked up as not yet published: without it, with the version it corrected. */
export interface Before {
  version: Version;
  corrected: Version | undefined;
}

/**
 * Benefit lookups for any number of queries with three queries to the database: the published
 * versions' heads, the rows of versions in force not yet cached, and the index values of the cities
 * involved. Rows of a published version never change, so its table is cached by id. Each query
 * succeeds or fails on its own. With a candidate, the lookups see it in force in its series from its
 * date, in place of the version it corrects (or the published one of the same date); its table is
 * never cached, since a draft's rows change.
 */
export function createLookups(pool: Pool, settings: LookupSettings) {
  const tables = new Map<string, Table>();
  return async function lookupAll(queries: LookupQuery[], candidate?: Candidate, before?: Before): Promise<({ ok: Benefit } | { err: unknown })[]> {
    let published = await store.publishedHeads(pool);
    if (before) published = [...published.filter((h) => h.id !== before.version.id), ...(before.corrected ? [before.corrected] : [])];
    const own = new Map<string, Table>();
    if (candidate) {
      const c = candidate.version;
      published = published.filter((h) => h.id !== c.correctsVersionId && !(h.level === c.level && h.regionCode === c.regionCode && h.effectiveFrom === c.effectiveFrom));
      published.push({ id: c.id, level: c.level, regionCode: c.regionCode, effectiveFrom: c.effectiveFrom });
      own.set(c.id, toTable(c, candidate.rows));
    }
    const inForce = new VersionsInForce(published);
    const layers = queries.map((q) => attempt(() => inForce.layers(q.districtCode, q.date)));
    const heads = new Map(layers.flatMap((l) => ('ok' in l ? l.ok : [])).map((h) => [h.id, h]));
    const missing = [...heads.keys()].filter((id) => !tables.has(id) && !own.has(id));
    if (missing.length) for (const [id, rows] of await store.rowsOf(pool, missing)) tables.set(id, toTable(heads.get(id)!, rows));
    const index: IndexLookup = indexLookupOf(
      (await store.indexValuesOf(pool, [...new Set(queries.map((q) => cityOf(q.districtCode)))])).flatMap((v) => (v.valueFen === null ? [] : [{ kind: v.kind, cityCode: v.cityCode, year: v.year, fen: v.valueFen }])),
    );
    return queries.map((q, i) => {
      const l = layers[i]!;
      return 'ok' in l ? attempt(() => computeBenefit(q, l.ok.map((h) => own.get(h.id) ?? tables.get(h.id)!), index, settings)) : l;
    });
  };
}

export function attempt<T>(fn: () => T): { ok: T } | { err: unknown } {
  try {
    return { ok: fn() };
  } catch (err) {
    return { err };
  }
}

