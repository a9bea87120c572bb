import type { CivilDate } from '../../protos/gen/youfu/common/v1/common';
import { Category, DisabilityCause, type EntitlementAttributes } from '../../protos/gen/youfu/common/v1/entitlement';
import { SubsidyStandardServiceService, type IndexKind } from '../../protos/gen/youfu/standards/v1/standards';
import { createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { startService, type RunningService } from '../../services/lib/runtime';
import { standardsModule } from '../../services/standards/index';
import { freshDatabase, serviceEnv, token, topicPrefix } from '../support/env';

/**
 * The national tables of domain.md §2, yuan per year, copied here independently of the service's seed
 * file so the tests check the seed against the document. Disability amounts by grade 1..10 (ILLNESS 1..6).
 */
export const DOMAIN_TABLES = {
  2021: {
    WAR: [106670, 96530, 84700, 69420, 54220, 42360, 32200, 20330, 16890, 11860],
    DUTY: [103300, 91450, 79600, 62670, 47410, 40080, 28820, 18610, 13560, 10140],
    ILLNESS: [99910, 88030, 74550, 57590, 44030, 33860],
    MARTYR_SURVIVOR: 33860,
    DUTY_DEATH_SURVIVOR: 29080,
    ILLNESS_DEATH_SURVIVOR: 27360,
  },
  2022: {
    WAR: [116270, 105220, 92320, 75670, 59100, 46170, 34780, 21960, 18240, 12810],
    DUTY: [111560, 98770, 85970, 67680, 51200, 43290, 30840, 19910, 14510, 10850],
    ILLNESS: [106900, 94190, 79770, 61620, 47110, 36230],
    MARTYR_SURVIVOR: 36910,
    DUTY_DEATH_SURVIVOR: 31410,
    ILLNESS_DEATH_SURVIVOR: 29280,
  },
} as const;

/** Nursing-fee shares of domain.md §1, basis points, by cause and grade (without a mental disorder). */
export function nursingShareBp(cause: 'WAR' | 'DUTY' | 'ILLNESS', grade: number): number | undefined {
  if (cause === 'ILLNESS') return grade <= 4 ? 3000 : undefined;
  return grade <= 2 ? 5000 : grade <= 4 ? 4000 : undefined;
}

export const CAUSE = { WAR: DisabilityCause.DISABILITY_CAUSE_WAR, DUTY: DisabilityCause.DISABILITY_CAUSE_DUTY, ILLNESS: DisabilityCause.DISABILITY_CAUSE_ILLNESS } as const;
export const SURVIVOR = {
  MARTYR_SURVIVOR: Category.CATEGORY_MARTYR_SURVIVOR,
  DUTY_DEATH_SURVIVOR: Category.CATEGORY_DUTY_DEATH_SURVIVOR,
  ILLNESS_DEATH_SURVIVOR: Category.CATEGORY_ILLNESS_DEATH_SURVIVOR,
} as const;

/** One seeded row as a lookup subject with its domain.md amount in fen per year. */
export interface DomainRow {
  label: string;
  attributes: EntitlementAttributes;
  cause?: 'WAR' | 'DUTY' | 'ILLNESS';
  grade?: number;
  fen: { 2021: bigint; 2022: bigint };
}

export const attrs = (over: Partial<EntitlementAttributes>): EntitlementAttributes => ({
  category: Category.CATEGORY_DISABLED_SERVICEMAN,
  disabilityGrade: 0,
  cause: DisabilityCause.DISABILITY_CAUSE_UNSPECIFIED,
  enlistmentPeriod: 0,
  serviceYears: 0,
  mentalDisorder: false,
  ...over,
});

/** Every row of the domain.md tables (29 keys). */
export function domainRows(): DomainRow[] {
  const out: DomainRow[] = [];
  for (const cause of ['WAR', 'DUTY', 'ILLNESS'] as const) {
    DOMAIN_TABLES[2022][cause].forEach((_, i) => {
      out.push({
        label: `${cause} grade ${i + 1}`,
        attributes: attrs({ disabilityGrade: i + 1, cause: CAUSE[cause] }),
        cause,
        grade: i + 1,
        fen: { 2021: BigInt(DOMAIN_TABLES[2021][cause][i]!) * 100n, 2022: BigInt(DOMAIN_TABLES[2022][cause][i]!) * 100n },
      });
    });
  }
  for (const s of ['MARTYR_SURVIVOR', 'DUTY_DEATH_SURVIVOR', 'ILLNESS_DEATH_SURVIVOR'] as const) {
    out.push({ label: s, attributes: attrs({ category: SURVIVOR[s] }), fen: { 2021: BigInt(DOMAIN_TABLES[2021][s]) * 100n, 2022: BigInt(DOMAIN_TABLES[2022][s]) * 100n } });
  }
  return out;
}

/** round_half_up(n / d) for n ≥ 0, written out here rather than taken from the code under test. */
export const halfUp = (n: bigint, d: bigint): bigint => (n % d) * 2n >= d ? n / d + 1n : n / d;

export const date = (s: string): CivilDate => {
  const [year, month, day] = s.split('-').map(Number) as [number, number, number];
  return { year, month, day };
};

export interface Standards {
  svc: RunningService;
  client: UnaryClient<typeof SubsidyStandardServiceService>;
  prefix: string;
  stop(): Promise<void>;
}

/** Starts the standards service on its own fresh database and topic prefix. */
export async function startStandards(label: string, extraEnv: Record<string, string> = {}): Promise<Standards> {
  const db = await freshDatabase(label);
  const prefix = topicPrefix(label);
  const svc = await startService(standardsModule, { env: serviceEnv(db.adminUrl, prefix, extraEnv) });
  const client = createUnaryClient(SubsidyStandardServiceService, `127.0.0.1:${svc.grpcPort}`);
  return {
    svc,
    client,
    prefix,
    async stop() {
      client.close();
      await svc.stop();
      await db.drop();
    },
  };
}

/** A fingerprint of everything the service stores, to prove a refused call wrote nothing. */
export async function snapshot(s: Standards): Promise<string> {
  // The relay marks outbox rows published at any time: compare only what a handler writes.
  const sources = ['versions', 'version_rows', 'index_values', '(SELECT id, topic, aggregate_id, event_type, payload FROM outbox)'];
  const parts = await Promise.all(
    sources.map(async (t) => (await s.svc.pool.query<{ h: string }>(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`)).rows[0]!.h),
  );
  return parts.join(',');
}

/**
 * Puts an index value in force as staff do: a clerk proposes (new, or over `revision`), an approver
 * approves. Returns the value in force.
 */
export async function putIndexValue(
  client: Pick<Standards['client'], 'proposeIndexValue' | 'approveIndexValue'>,
  v: { kind: IndexKind; cityCode: string; year: number; fen: bigint; revision?: bigint },
) {
  const [clerk, approver] = await Promise.all([token('clerk', 'index-clerk'), token('approver', 'index-approver')]);
  const { value } = await client.proposeIndexValue({ kind: v.kind, cityCode: v.cityCode, year: v.year, value: { fen: v.fen }, expectedRevision: v.revision ?? 0n }, clerk);
  return (await client.approveIndexValue({ kind: v.kind, cityCode: v.cityCode, year: v.year, expectedRevision: value!.revision }, approver)).value!;
}
