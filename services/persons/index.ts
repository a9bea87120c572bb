import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StandardLevel, SubsidyStandardServiceService } from '../../protos/gen/youfu/standards/v1/standards';
import type { ServiceClient } from '../lib/clients';
import { fromParts } from '../lib/civil';
import { decodeAs, PoisonMessage, type ConsumerSpec } from '../lib/consumer';
import { piiEnv, PiiVault } from '../lib/pii';
import type { ServiceModule } from '../lib/runtime';
import { grpcBenefitSource, type BenefitSource } from './benefit-source';
import { standardsEvents } from '../lib/contracts';
import { PERSONS_TOPIC } from './events';
import { createPersonsActivities } from './activities';
import { personsBinding } from './handlers';
import { PersonsService } from './service';
import { recordVersion } from './store';

const env = {
  /** Address of the standards service (SubsidyStandardService), host:port. */
  YOUFU_STANDARDS_ADDR: z.string().min(1).default('127.0.0.1:50051'),
  ...piiEnv,
};

/**
 * Records that a standards version exists (its month splits benefit periods); nothing else. Other
 * event types of the topic (IndexValuePublished, …) are skipped, not dead-lettered.
 */
export const standardsConsumer: ConsumerSpec = {
  name: 'persons.standards-versions',
  topics: [standardsEvents.topic],
  async handle(tx, event) {
    if (event.type !== standardsEvents.versionPublished.type) return;
    const v = decodeAs(event, standardsEvents.versionPublished);
    const d = v.effectiveFrom;
    if (!v.versionId || !d) throw new PoisonMessage('INVALID_PAYLOAD', 'version id and effective date are required');
    await recordVersion(tx, {
      id: v.versionId,
      level: StandardLevel[v.level] ?? String(v.level),
      region: v.regionCode,
      effectiveFrom: fromParts(d.year, d.month, d.day),
      supersedes: v.supersededVersionId || null,
    });
  },
};

export interface PersonsModuleOptions {
  /** Replaces the gRPC standards client (tests). */
  benefitSource?: (client: ServiceClient<typeof SubsidyStandardServiceService>) => BenefitSource;
}

/** The persons service: registry, benefits and payroll (issue 4). */
export function createPersonsModule(o: PersonsModuleOptions = {}): ServiceModule<typeof env> {
  return {
    name: 'persons',
    defaultPort: 50052,
    migrations: path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations'),
    topics: [PERSONS_TOPIC],
    env,
    async build({ cfg, pool, log, clock, identity }) {
      const pii = PiiVault.fromConfig(cfg.YOUFU_PII_KEYS, cfg.YOUFU_PII_HASH_KEY);
      const standards = identity.client(SubsidyStandardServiceService, cfg.YOUFU_STANDARDS_ADDR);
      const benefits = (o.benefitSource ?? grpcBenefitSource)(standards);
      const svc = new PersonsService({ pool, pii, clock, benefits, log });
      return {
        bindings: [personsBinding({ svc, pool, pii })],
        consumers: [standardsConsumer],
        activities: createPersonsActivities({ svc, pool }),
        stop: async () => standards.close(),
      };
    },
  };
}

export const personsModule = createPersonsModule();
