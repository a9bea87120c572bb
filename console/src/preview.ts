/**
 * An indexed draft's preview as the clerk types its rules, computed with the standards service's
 * own rule (services/standards/domain/indexation: match, raise or increment, round half up to the
 * unit) — a preview only: the service computes the draft itself when it is created.
 */
import { applyChange, matches, type IndexationRule } from '../../services/standards/domain/indexation';
import { basisPointsOf, moneyOf } from './api';
import type { Row, RowKey } from './pages/Standards';

/** A rule as the form holds it (enum names as the proto writes them, yuan and percentages as typed). */
export interface RuleInput {
  category: string;
  cause?: string;
  gradeFrom?: number;
  gradeTo?: number;
  raisePercent?: string;
  increment?: string;
}

export interface PreviewRow {
  key: RowKey;
  from: bigint;
  to: bigint;
}

const unset = (v?: string) => !v || v.endsWith('_UNSPECIFIED');
const bare = (v: string | undefined, prefix: string) => (unset(v) ? null : v!.slice(prefix.length));

/** What the typed rules make of the base's amount rows: the rows they change, old and new fen. */
export function previewRows(rows: Row[], typed: RuleInput[], unitText: string | undefined): PreviewRow[] {
  const unit = unitText ? moneyOf(unitText) : { fen: '1000' };
  if (!unit || BigInt(unit.fen) <= 0n) return [];
  const rules: IndexationRule[] = [];
  for (const r of typed) {
    const bp = r?.raisePercent ? basisPointsOf(r.raisePercent) : undefined;
    const inc = !bp && r?.increment ? moneyOf(r.increment) : undefined;
    if (!r?.category || (bp === undefined && !inc)) continue;
    rules.push({
      category: bare(r.category, 'CATEGORY_') as IndexationRule['category'],
      cause: bare(r.cause, 'DISABILITY_CAUSE_') as IndexationRule['cause'],
      gradeFrom: r.gradeFrom ?? 0,
      gradeTo: r.gradeTo ?? 0,
      change: bp !== undefined ? { kind: 'RAISE', bp } : { kind: 'INCREMENT', fen: BigInt(inc!.fen) },
    });
  }
  const out: PreviewRow[] = [];
  for (const row of rows) {
    const amount = row.annualAmount ?? row.perServiceYearAmount;
    if (!amount) continue;
    const key = { category: bare(row.key.category, 'CATEGORY_'), cause: bare(row.key.cause, 'DISABILITY_CAUSE_'), disabilityGrade: row.key.disabilityGrade ?? 0 } as Parameters<typeof matches>[1];
    const rule = rules.find((r) => matches(r, key));
    if (rule) out.push({ key: row.key, from: BigInt(amount.fen), to: applyChange(BigInt(amount.fen), rule.change, BigInt(unit.fen)) });
  }
  return out;
}

