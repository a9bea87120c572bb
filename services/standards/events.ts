/** Events this service publishes on `youfu.standards.v1` (through the outbox). */
import { standardsEvents } from '../lib/contracts';
import type { Tx } from '../lib/db';
import { enqueue } from '../lib/outbox';
import { diffRows, summarize } from './domain/diff';
import type { Version } from './domain/versions';
import { publishedBefore, rowsOf, type StoredIndexValue } from './store';
import { enums, versionPublishedEvent } from './wire';

export const STANDARDS_TOPIC = standardsEvents.topic;
export const { versionPublished } = standardsEvents;

/** Records IndexValuePublished for an index value put in force in `tx`. */
export async function recordIndexValuePublished(tx: Tx, v: StoredIndexValue, previousFen: bigint | null): Promise<string> {
  return enqueue(tx, {
    topic: STANDARDS_TOPIC,
    aggregateId: `${v.kind}:${v.cityCode}:${v.year}`,
    type: standardsEvents.indexValuePublished,
    data: {
      kind: enums.index.toNumber(v.kind),
      cityCode: v.cityCode,
      year: v.year,
      value: { fen: v.valueFen! },
      ...(previousFen === null ? {} : { previousValue: { fen: previousFen } }),
      approvedBy: v.approvedBy ?? '',
      approvedAt: v.approvedAt ?? undefined,
    },
  });
}

/**
 * Records VersionPublished for a version published in `tx`, with row counts against the version it
 * follows: the one it supersedes (a correction), else the series' previous published version.
 */
export async function recordPublished(tx: Tx, v: Version): Promise<string> {
  const previousId = v.correctsVersionId ?? (await publishedBefore(tx, v.level, v.regionCode, v.effectiveFrom))?.id ?? null;
  const rows = await rowsOf(tx, previousId ? [previousId, v.id] : [v.id]);
  const summary = summarize(diffRows(previousId ? rows.get(previousId)! : [], rows.get(v.id)!));
  return enqueue(tx, { topic: STANDARDS_TOPIC, aggregateId: v.id, type: versionPublished, data: versionPublishedEvent(v, previousId, summary) });
}
