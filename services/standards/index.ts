import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ServiceModule } from '../lib/runtime';
import { STANDARDS_TOPIC } from './events';
import { standardsBinding } from './handlers';
import { runSeed } from './seed';

const env = {
  /** CONSCRIPT_FAMILY allowance share of income where no layer sets one, basis points (domain.md §2: our default 45%). */
  YOUFU_STANDARDS_CONSCRIPT_FAMILY_SHARE_BP: z.coerce.number().int().min(1).max(10_000).default(4500),
  /** Default rounding unit of indexed drafts, fen (domain.md §2: 10 yuan). */
  YOUFU_STANDARDS_ROUNDING_UNIT_FEN: z.coerce.bigint().positive().default(1000n),
  /** Seed only the national tables effective on or before this date (e.g. 2021-12-31: 2021 alone); unset = all. */
  YOUFU_STANDARDS_SEED_UNTIL: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD').optional(),
};

/** Versioned subsidy standards and benefit lookups: gRPC SubsidyStandardService on port 50051, schema `standards`. */
export const standardsModule: ServiceModule<typeof env> = {
  name: 'standards',
  defaultPort: 50051,
  migrations: path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations'),
  topics: [STANDARDS_TOPIC],
  env,
  async seed({ pool, clock, log, cfg }) {
    const n = await runSeed(pool, clock, { until: cfg.YOUFU_STANDARDS_SEED_UNTIL });
    if (n) log.info({ versions: n }, 'seeded national standards');
  },
  async build({ cfg, pool, clock }) {
    const settings = { conscriptFamilyShareBp: cfg.YOUFU_STANDARDS_CONSCRIPT_FAMILY_SHARE_BP, roundingUnitFen: cfg.YOUFU_STANDARDS_ROUNDING_UNIT_FEN };
    return { bindings: [standardsBinding({ pool, clock, settings })] };
  },
};
