import { describe, expect, it } from 'vitest';
import { diffRows, summarize } from './diff';
import type { Row } from './keys';

const row = (category: Row['key']['category'], fen: bigint): Row => ({
  key: { category, cause: null, disabilityGrade: 0, enlistmentPeriod: null, component: 'PERIODIC_BENEFIT' },
  rule: { kind: 'ANNUAL_AMOUNT', fen },
});

describe('diffRows', () => {
  it('sorts rows into added, changed, removed and unchanged by key', () => {
    const d = diffRows([row('MARTYR_SURVIVOR', 1n), row('DUTY_DEATH_SURVIVOR', 2n), row('MARTYR_CHILD_60', 3n)], [row('MARTYR_SURVIVOR', 1n), row('DUTY_DEATH_SURVIVOR', 5n), row('WAR_OR_TEST_VETERAN', 7n)]);
    expect(d.added.map((r) => r.key.category)).toEqual(['WAR_OR_TEST_VETERAN']);
    expect(d.changed).toEqual([{ key: row('DUTY_DEATH_SURVIVOR', 0n).key, from: { kind: 'ANNUAL_AMOUNT', fen: 2n }, to: { kind: 'ANNUAL_AMOUNT', fen: 5n } }]);
    expect(d.removed.map((r) => r.key.category)).toEqual(['MARTYR_CHILD_60']);
    expect(d.unchanged).toBe(1);
    expect(summarize(d)).toEqual({ rowsAdded: 1, rowsChanged: 1, rowsRemoved: 1 });
  });

  it('counts everything as added against nothing', () => {
    expect(summarize(diffRows([], [row('MARTYR_SURVIVOR', 1n)]))).toEqual({ rowsAdded: 1, rowsChanged: 0, rowsRemoved: 0 });
  });
});
