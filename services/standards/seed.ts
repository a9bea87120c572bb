/**
 * The seed (domain.md "What to seed"): the statutory nursing-fee shares and the 2021 and 2022 national
 * disability and survivor tables, as PUBLISHED NATIONAL versions. The figures live in seed/*.json;
 * this module only reads them. Seeding is idempotent (fixed version ids) and safe to run concurrently.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Clock } from '../lib/civil';
import { withTx, type Pool } from '../lib/db';
import { CAUSES, rowProblems, type Row } from './domain/keys';
import { isFirstOfMonth } from './domain/versions';
import { recordPublished } from './events';
import * as store from './store';

export const SEED_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seed', 'national-2021-2022.json');

const yuan = z.number().int().positive();
const seedFile = z.object({
  source: z.string().min(1),
  documentNumber: z.string(),
  actor: z.string().min(1),
  nursingFeeShares: z.array(
    z.object({ cause: z.enum(CAUSES), grades: z.array(z.number().int()).min(1), basisPoints: z.number().int(), requiresMentalDisorder: z.boolean().default(false) }),
  ),
  versions: z.array(
    z.object({
      id: z.string().uuid(),
      title: z.string().min(1),
      effectiveFrom: z.string().refine(isFirstOfMonth, 'must be the first day of a month'),
      disabledServicemanYuanPerYear: z.record(z.enum(CAUSES), z.array(yuan)),
      survivorYuanPerYear: z.record(z.enum(['MARTYR_SURVIVOR', 'DUTY_DEATH_SURVIVOR', 'ILLNESS_DEATH_SURVIVOR']), yuan),
    }),
  ),
});
export type SeedFile = z.infer<typeof seedFile>;

export interface SeedVersion {
  id: string;
  title: string;
  effectiveFrom: string;
  source: string;
  documentNumber: string;
  actor: string;
  rows: Row[];
}

const FEN_PER_YUAN = 100n;
const none = { cause: null, disabilityGrade: 0, enlistmentPeriod: null } as const;

/** The versions a seed file describes, each row checked by the same rules as rows entered through the API. */
export function seedVersions(raw: unknown): SeedVersion[] {
  const f = seedFile.parse(raw);
  const nursing: Row[] = f.nursingFeeShares.flatMap((s) =>
    s.grades.map((g) => ({
      key: { category: 'DISABLED_SERVICEMAN' as const, cause: s.cause, disabilityGrade: g, enlistmentPeriod: null, component: 'NURSING_FEE' as const },
      rule: { kind: 'NURSING_FEE_SHARE' as const, bp: s.basisPoints, requiresMentalDisorder: s.requiresMentalDisorder },
    })),
  );
  return f.versions.map((v) => {
    const disabled: Row[] = Object.entries(v.disabledServicemanYuanPerYear).flatMap(([cause, amounts]) =>
      amounts.map((y, i) => ({
        key: { category: 'DISABLED_SERVICEMAN' as const, cause: cause as (typeof CAUSES)[number], disabilityGrade: i + 1, enlistmentPeriod: null, component: 'PERIODIC_BENEFIT' as const },
        rule: { kind: 'ANNUAL_AMOUNT' as const, fen: BigInt(y) * FEN_PER_YUAN },
      })),
    );
    const survivors: Row[] = Object.entries(v.survivorYuanPerYear).map(([category, y]) => ({
      key: { category: category as Row['key']['category'], ...none, component: 'PERIODIC_BENEFIT' as const },
      rule: { kind: 'ANNUAL_AMOUNT' as const, fen: BigInt(y) * FEN_PER_YUAN },
    }));
    const rows = [...disabled, ...survivors, ...nursing];
    const bad = rows.flatMap((r) => rowProblems(r).map((p) => `${v.effectiveFrom} ${JSON.stringify(r.key)}: ${p.message}`));
    if (bad.length) throw new Error(`invalid seed file:\n  ${bad.join('\n  ')}`);
    return { id: v.id, title: v.title, effectiveFrom: v.effectiveFrom, source: f.source, documentNumber: f.documentNumber, actor: f.actor, rows };
  });
}

/** The seed file's versions, in effective order. */
export const seedFileVersions = (file = SEED_FILE): SeedVersion[] =>
  seedVersions(JSON.parse(readFileSync(file, 'utf8'))).sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));

/**
 * Inserts the seeded versions that are not there yet (in effective order), each with its
 * VersionPublished event; with `until`, only those effective on or before it (e.g. `2021-12-31`:
 * the 2021 table alone, so the 2022 rows can be brought in as an annual adjustment).
 */
export async function runSeed(pool: Pool, clock: Clock, o: { file?: string; until?: string } = {}): Promise<number> {
  const versions = seedFileVersions(o.file).filter((v) => !o.until || v.effectiveFrom <= o.until);
  return withTx(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('youfu.standards.seed', 0))");
    let inserted = 0;
    for (const v of versions) {
      const fresh = await store.insertPublished(tx, {
        id: v.id,
        title: v.title,
        documentNumber: v.documentNumber,
        source: v.source,
        level: 'NATIONAL',
        regionCode: '',
        effectiveFrom: v.effectiveFrom,
        baseVersionId: null,
        correctsVersionId: null,
        createdBy: v.actor,
        createdAt: clock.now(),
        approvedBy: v.actor,
      });
      if (!fresh) continue;
      await store.upsertRows(tx, v.id, v.rows);
      await recordPublished(tx, (await store.getVersion(tx, v.id))!);
      inserted++;
    }
    return inserted;
  });
}
