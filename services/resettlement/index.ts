import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { resettlementEvents } from '../lib/contracts';
import type { ConsumerSpec } from '../lib/consumer';
import { piiEnv, PiiVault } from '../lib/pii';
import type { ServiceModule } from '../lib/runtime';
import { fromTemporalError } from '../lib/temporal-errors';
import { createResettlementActivities } from './activities';
import { resettlementBinding } from './handlers';

const env = {
  ...piiEnv,
  /** The persons service (EntitledPersonService), host:port: the registry a transfer hands over to. */
  YOUFU_PERSONS_ADDR: z.string().min(1).default('127.0.0.1:50052'),
  /** The age at discharge from which an NCO may choose retirement (our reading of "or age", README). */
  YOUFU_RESETTLEMENT_RETIREMENT_AGE: z.coerce.number().int().min(40).max(70).default(55),
};

/** The case workflow, run by this service's own worker (its steps are this service's activities). */
const CASE_WORKFLOWS = fileURLToPath(new URL('../../workflows/resettlement/workflow.ts', import.meta.url));

export const caseWorkflowId = (caseId: string) => `resettlement-case:${caseId}`;

/**
 * Every step of a case (its own events on youfu.resettlement.v1, committed with the step) wakes the
 * case's workflow, starting it at the first: signal-with-start, so a case never goes without its
 * deadlines even when the service stopped between the commit and the start. Retried until it
 * succeeds; repeats are harmless (a wake-up). After the case ended, a late event starts a run that
 * finds it ended and stops at once; a reinstated case gets its timers back the same way.
 */
export function caseWorkflowConsumer(temporal: Parameters<ServiceModule['build']>[0]['temporal'], taskQueue: string): ConsumerSpec {
  return {
    name: 'resettlement.case-workflows',
    topics: [resettlementEvents.topic],
    async handle(_tx, event) {
      try {
        const client = await temporal();
        await client.workflow.signalWithStart('resettlementCase', {
          workflowId: caseWorkflowId(event.key),
          taskQueue,
          args: [{ caseId: event.key }],
          signal: 'changed',
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        });
      } catch (err) {
        // Temporal unreachable is UNAVAILABLE: retried without limit, never dead-lettered.
        throw fromTemporalError(err) ?? err;
      }
    },
  };
}

/** Veteran resettlement: gRPC VeteranResettlementService on port 50053, schema `resettlement` (issue 11). */
export const resettlementModule: ServiceModule<typeof env> = {
  name: 'resettlement',
  defaultPort: 50053,
  migrations: path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations'),
  topics: [resettlementEvents.topic],
  env,
  async build({ cfg, pool, clock, identity, temporal, activityQueue }) {
    const pii = PiiVault.fromConfig(cfg.YOUFU_PII_KEYS, cfg.YOUFU_PII_HASH_KEY);
    const persons = identity.client(EntitledPersonServiceService, cfg.YOUFU_PERSONS_ADDR);
    return {
      bindings: [resettlementBinding({ pool, pii, clock, persons, retirementAge: cfg.YOUFU_RESETTLEMENT_RETIREMENT_AGE })],
      consumers: [caseWorkflowConsumer(temporal, activityQueue)],
      activities: createResettlementActivities({ pool, transfer: { pii, persons } }),
      workflowsPath: CASE_WORKFLOWS,
      stop: async () => persons.close(),
    };
  },
};
