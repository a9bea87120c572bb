import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { secret } from '../lib/config';
import { settlementEvents } from '../lib/contracts';
import { PiiVault } from '../lib/pii';
import type { ServiceModule } from '../lib/runtime';
import { ensureSchedule } from '../lib/schedules';
import { createSettlementActivities } from './activities';
import { admitHospital, callerFromCertificate, type CoreDeps } from './core';
import { settlementBinding, WORKFLOWS_QUEUE } from './handlers';

const env = {
  /** Address of the persons service (EntitledPersonService), host:port. */
  YOUFU_PERSONS_ADDR: z.string().min(1).default('127.0.0.1:50052'),
  /** PII encryption keys for stored bills' ID numbers and names, `id:base64(32 bytes)` comma-separated, current first. Required in production. */
  YOUFU_PII_KEYS: secret(`dev:${Buffer.alloc(32, 9).toString('base64')}`),
  /** Key of the keyed hash of a bill's content (base64, ≥ 32 bytes). Required in production. */
  YOUFU_PII_HASH_KEY: secret(Buffer.alloc(32, 11).toString('base64')),
  /** Task queue of the workflows worker, which runs the monthly statement cut-off. */
  YOUFU_WORKFLOWS_QUEUE: z.string().min(1).default(WORKFLOWS_QUEUE),
  /** When the statements are cut off (cron, Asia/Shanghai): 00:05 on the 1st. Empty: no schedule (tests). */
  YOUFU_STATEMENT_CRON: z.string().default('5 0 1 * *'),
};

/** The settlement workflow, run by this service's own worker with its steps as local activities. */
const SETTLEMENT_WORKFLOWS = fileURLToPath(new URL('../../workflows/settlement/workflow.ts', import.meta.url));

/** The schedule of the monthly statement cut-off (one per namespace; a test run's is prefixed). */
export const statementScheduleId = (topicPrefix: string) => `${topicPrefix}settlement:statement-cutoff`;

/** One-stop medical settlement: gRPC MedicalSettlementService on port 50054, schema `settlement` (issue 9). */
export const settlementModule: ServiceModule<typeof env> = {
  name: 'settlement',
  defaultPort: 50054,
  migrations: path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations'),
  topics: [settlementEvents.topic],
  env,
  async build({ cfg, pool, clock, identity, temporal, activityQueue }) {
    const pii = PiiVault.fromConfig(cfg.YOUFU_PII_KEYS, cfg.YOUFU_PII_HASH_KEY);
    const persons = identity.client(EntitledPersonServiceService, cfg.YOUFU_PERSONS_ADDR);
    const core: CoreDeps = { pool, pii, clock, persons };
    if (cfg.YOUFU_STATEMENT_CRON) {
      await ensureSchedule(await temporal(), {
        scheduleId: statementScheduleId(cfg.YOUFU_TOPIC_PREFIX),
        spec: { cronExpressions: [cfg.YOUFU_STATEMENT_CRON] },
        action: { workflowType: 'statementCutOff', taskQueue: cfg.YOUFU_WORKFLOWS_QUEUE, args: [{ period: '', activityQueue }] },
        note: 'monthly cut-off of the hospitals’ statements (services/settlement)',
      });
    }
    return {
      bindings: [settlementBinding({ ...core, temporal, activityQueue })],
      activities: createSettlementActivities(core),
      workflowsPath: SETTLEMENT_WORKFLOWS,
      admit: (caller) => admitHospital(pool, caller, clock.now()),
      fromCertificate: (fp) => callerFromCertificate(pool, fp, clock.now()),
      stop: async () => persons.close(),
    };
  },
};
