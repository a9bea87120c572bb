import { RowComponent, SubsidyStandardServiceService, type Benefit } from '../../protos/gen/youfu/standards/v1/standards';
import { firstDay, type YearMonth } from '../lib/civil';
import type { ServiceClient } from '../lib/clients';
import { toProtoDate } from '../lib/proto';
import type { Quote } from './domain/benefits';
import type { Attributes } from './domain/types';
import { toPbAttributes } from './wire';

/** One lookup: an identity's attributes in a district, for a month (looked up on its first day). */
export interface BenefitQuery {
  attrs: Attributes;
  district: string;
  month: YearMonth;
}

export interface QuoteOptions {
  candidateVersionId?: string;
  beforeVersionId?: string;
}

/**
 * Where benefit amounts come from (the standards service). Injected into handlers so domain code
 * and tests do not depend on the network. Answers one Quote per query, in order; a query the
 * standards cannot answer (no version in force, no row for the key) is `{ ok: false }`. Throws
 * the standards service's own status (UNAVAILABLE when it cannot be reached).
 */
export interface BenefitSource {
  /**
   * With `candidateVersionId`, as if that DRAFT / APPROVED standards version were published (a
   * simulation); with `beforeVersionId`, as things stood before that PUBLISHED one was.
   */
  quote(queries: readonly BenefitQuery[], o?: QuoteOptions): Promise<Quote[]>;
}

/**
 * Maps a standards Benefit to a Quote: pension = monthly − nursing fee. A component left out
 * (missing) or computed from an earlier year's index value (provisional) is named in its
 * `missing`, so that the period and the payroll's exceptions show it until it is recomputed.
 */
export function quoteOf(b: Benefit): Quote {
  const monthly = b.monthlyAmount?.fen ?? 0n;
  const nursingFen = b.nursingFee?.monthlyAmount?.fen ?? 0n;
  const flagged = [...b.missing, ...b.provisional].map((m) => ({ nursing: m.component === RowComponent.ROW_COMPONENT_NURSING_FEE, text: m.description || `index ${m.index} ${m.cityCode} ${m.year}` }));
  return {
    ok: true,
    pensionFen: monthly - nursingFen,
    nursing: b.nursingFee ? { fen: nursingFen, missing: flagged.filter((m) => m.nursing).map((m) => m.text) } : null,
    versions: [...new Set(b.versionsUsed.map((v) => v.id))].sort(),
    missing: flagged.filter((m) => !m.nursing).map((m) => m.text),
  };
}

const keyOf = (q: BenefitQuery) => JSON.stringify([q.attrs, q.district, q.month]);
const BATCH = 5000;

/**
 * The standards service over gRPC (BatchLookupBenefits) through the runtime's service client (our
 * own `service` token; the standards service's status kept as it answered). Identical queries are
 * asked once.
 */
export function grpcBenefitSource(client: ServiceClient<typeof SubsidyStandardServiceService>): BenefitSource {
  return {
    async quote(queries, o = {}) {
      const unique = new Map<string, BenefitQuery>();
      for (const q of queries) unique.set(keyOf(q), q);
      const list = [...unique.entries()];
      const answers = new Map<string, Quote>();
      for (let i = 0; i < list.length; i += BATCH) {
        const chunk = list.slice(i, i + BATCH);
        const res = await client.batchLookupBenefits(
          { items: chunk.map(([, q]) => ({ attributes: toPbAttributes(q.attrs), districtCode: q.district, date: toProtoDate(firstDay(q.month)) })), candidateVersionId: o.candidateVersionId ?? '', beforeVersionId: o.beforeVersionId ?? '' },
          undefined,
          { timeoutMs: 60_000 },
        );
        chunk.forEach(([key], n) => {
          const r = res.results[n]?.outcome;
          answers.set(
            key,
            r?.$case === 'benefit' ? quoteOf(r.value) : { ok: false, reason: r?.$case === 'error' ? `${r.value.reason}: ${r.value.message}` : 'NO_ANSWER' },
          );
        });
      }
      return queries.map((q) => answers.get(keyOf(q))!);
    },
  };
}
