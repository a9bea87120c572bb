/** Row-by-row differences between two versions, by key. */
import { keyString, sameRule, sortRows, type Row, type RowKey, type Rule } from './keys';

export interface RowDiff {
  added: Row[];
  changed: { key: RowKey; from: Rule; to: Rule }[];
  removed: Row[];
  unchanged: number;
}

export function diffRows(from: Row[], to: Row[]): RowDiff {
  const before = new Map(from.map((r) => [keyString(r.key), r]));
  const after = new Set(to.map((r) => keyString(r.key)));
  const out: RowDiff = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const r of sortRows(to)) {
    const old = before.get(keyString(r.key));
    if (!old) out.added.push(r);
    else if (!sameRule(old.rule, r.rule)) out.changed.push({ key: r.key, from: old.rule, to: r.rule });
    else out.unchanged++;
  }
  out.removed = sortRows(from.filter((r) => !after.has(keyString(r.key))));
  return out;
}

/** Counts for the VersionPublished event. */
export const summarize = (d: RowDiff) => ({ rowsAdded: d.added.length, rowsChanged: d.changed.length, rowsRemoved: d.removed.length });
