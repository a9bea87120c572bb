import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { SubsidyStandardServiceService } from '../../protos/gen/youfu/standards/v1/standards';
import type { ServiceModule } from '../lib/runtime';
import { createAdjustmentActivities } from './activities';
import { adjustmentBinding } from './handlers';

const env = {
  /** The standards service (SubsidyStandardService), host:port. */
  YOUFU_STANDARDS_ADDR: z.string().min(1).default('127.0.0.1:50051'),
  /** The persons service (EntitledPersonService), host:port. */
  YOUFU_PERSONS_ADDR: z.string().min(1).default('127.0.0.1:50052'),
  /** Task queue of the workflows worker, which runs the adjustment workflow. */
  YOUFU_WORKFLOWS_QUEUE: z.string().min(1).default('workflows'),
  /** Task queue of the persons service's activities (the simulation's pages). */
  YOUFU_PERSONS_QUEUE: z.string().min(1).default('persons'),
};

/** The annual subsidy adjustment: gRPC AnnualAdjustmentService on port 50055, schema `adjustment` (issue 10). */
export const adjustmentModule: ServiceModule<typeof env> = {
  name: 'adjustment',
  defaultPort: 50055,
  migrations: path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations'),
  env,
  async build({ cfg, pool, identity, temporal, activityQueue }) {
    const standards = identity.client(SubsidyStandardServiceService, cfg.YOUFU_STANDARDS_ADDR);
    const persons = identity.client(EntitledPersonServiceService, cfg.YOUFU_PERSONS_ADDR);
    return {
      bindings: [adjustmentBinding({ pool, standards, temporal, workflowsQueue: cfg.YOUFU_WORKFLOWS_QUEUE, personsQueue: cfg.YOUFU_PERSONS_QUEUE, activityQueue })],
      activities: createAdjustmentActivities({ pool, persons }),
      stop: async () => {
        standards.close();
        persons.close();
      },
    };
  },
};
