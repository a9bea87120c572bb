/** Batched benefit lookups against the store. */
import type { Pool } from '../lib/db';
import { computeBenefit, toTable, VersionsInForce, type Benefit, type IndexLookup, type LookupQuery, type LookupSettings, type Table } from './domain/lookup';
import { cityOf } from './domain/versions';
import * as store from './store';

/**
 * Benefit lookups for any number of queries with three queries to the database: the published
 * versions' heads, the rows of versions in force not yet cached, and the index values of the cities
 * involved. Rows of a published version never change, so its table is cached by id. Each query
 * succeeds or fails on its own.
 */
export function createLookups(pool: Pool, settings: LookupSettings) {
  const tables = new Map<string, Table>();
  return async function lookupAll(queries: LookupQuery[]): Promise<({ ok: Benefit } | { err: unknown })[]> {
    const inForce = new VersionsInForce(await store.publishedHeads(pool));
    const layers = queries.map((q) => attempt(() => inForce.layers(q.districtCode, q.date)));
    const heads = new Map(layers.flatMap((l) => ('ok' in l ? l.ok : [])).map((h) => [h.id, h]));
    const missing = [...heads.keys()].filter((id) => !tables.has(id));
    if (missing.length) for (const [id, rows] of await store.rowsOf(pool, missing)) tables.set(id, toTable(heads.get(id)!, rows));
    const values = new Map(
      (await store.indexValuesOf(pool, [...new Set(queries.map((q) => cityOf(q.districtCode)))])).map((v) => [`${v.kind}/${v.cityCode}/${v.year}`, v.valueFen]),
    );
    const index: IndexLookup = (kind, city, year) => values.get(`${kind}/${city}/${year}`);
    return queries.map((q, i) => {
      const l = layers[i]!;
      return 'ok' in l ? attempt(() => computeBenefit(q, l.ok.map((h) => tables.get(h.id)!), index, settings)) : l;
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

