import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { IndexKind, SubsidyStandardServiceService } from '../../protos/gen/youfu/standards/v1/standards';
import { adjustmentEvents, standardsEvents } from '../lib/contracts';
import { decodeAs, PoisonMessage, type ConsumerSpec } from '../lib/consumer';
import type { ServiceModule } from '../lib/runtime';
import { ensureSchedule } from '../lib/schedules';
import { createAdjustmentActivities } from './activities';
import { adjustmentBinding } from './handlers';
import { recordRolloverDue } from './store';

const env = {
  /** The standards service (SubsidyStandardService), host:port. */
  YOUFU_STANDARDS_ADDR: z.string().min(1).default('127.0.0.1:50051'),
  /** The persons service (EntitledPersonService), host:port. */
  YOUFU_PERSONS_ADDR: z.string().min(1).default('127.0.0.1:50052'),
  /** Task queue of the workflows worker, which runs the adjustment workflow. */
  YOUFU_WORKFLOWS_QUEUE: z.string().min(1).default('workflows'),
  /** Task queue of the persons service's activities (the simulation's pages). */
  YOUFU_PERSONS_QUEUE: z.string().min(1).default('persons'),
  /** When the year's adjustment falls due (cron, Asia/Shanghai): 09:00 on 1 August. Empty: no schedule (tests). */
  YOUFU_ADJUSTMENT_DUE_CRON: z.string().default('0 9 1 8 *'),
  /** How often a published run looks again whether payroll P−1 closed before it applies (a Temporal duration). */
  /** Pages of persons under way at once while a run simulates or applies (1, 2, 4, 8 or 16). */
  YOUFU_ADJUSTMENT_PARTITIONS: z.coerce.number().int().refine((k) => [1, 2, 4, 8, 16].includes(k), '1, 2, 4, 8 or 16').default(2),
  /** Persons per page while a run simulates or applies (one transaction per page in persons). */
  YOUFU_ADJUSTMENT_PAGE_SIZE: z.coerce.number().int().min(1).max(5000).default(1000),
  /** How long a simulated run waits for its approver before a reminder (pending item and AdjustmentApprovalOverdue). */
  YOUFU_ADJUSTMENT_REMINDER_AFTER: z.string().regex(/^\d+ ?(seconds?|minutes?|hours?|days?|s|m|h|d)$/, 'a duration, e.g. 7 days').default('7 days'),
  YOUFU_ADJUSTMENT_PAYROLL_POLL: z.string().regex(/^\d+ ?(seconds?|minutes?|hours?|s|m|h)$/, 'a duration, e.g. 1 hour').default('1 hour'),
};

/**
 * An approved average monthly wage of year Y (standards' IndexValuePublished) calls for the city's
 * January roll-over of Y + 1: a ROLLOVER_DUE pending item (once). Other event types are skipped.
 */
export const wagesConsumer: ConsumerSpec = {
  name: 'adjustment.index-values',
  topics: [standardsEvents.topic],
  async handle(tx, event) {
    if (event.type !== standardsEvents.indexValuePublished.type) return;
    const v = decodeAs(event, standardsEvents.indexValuePublished);
    if (v.kind !== IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE) return;
    if (!/^\d{6}$/.test(v.cityCode) || !v.year) throw new PoisonMessage('INVALID_PAYLOAD', 'a city code and a year are required');
    await recordRolloverDue(tx, v.cityCode, v.year + 1);
  },
};

/** The schedule of the yearly AdjustmentDue (one per namespace; a test run's is prefixed). */
export const dueScheduleId = (topicPrefix: string) => `${topicPrefix}adjustment:due`;

/** The annual subsidy adjustment: gRPC AnnualAdjustmentService on port 50055, schema `adjustment` (issue 10). */
export const adjustmentModule: ServiceModule<typeof env> = {
  name: 'adjustment',
  defaultPort: 50055,
  migrations: path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations'),
  topics: [adjustmentEvents.topic],
  env,
  async build({ cfg, pool, identity, temporal, activityQueue }) {
    if (cfg.YOUFU_ADJUSTMENT_DUE_CRON) {
      await ensureSchedule(await temporal(), {
        scheduleId: dueScheduleId(cfg.YOUFU_TOPIC_PREFIX),
        spec: { cronExpressions: [cfg.YOUFU_ADJUSTMENT_DUE_CRON] },
        action: { workflowType: 'adjustmentDue', taskQueue: cfg.YOUFU_WORKFLOWS_QUEUE, args: [{ adjustmentQueue: activityQueue }] },
        note: 'the yearly AdjustmentDue and pending item (services/adjustment)',
      });
    }
    const standards = identity.client(SubsidyStandardServiceService, cfg.YOUFU_STANDARDS_ADDR);
    const persons = identity.client(EntitledPersonServiceService, cfg.YOUFU_PERSONS_ADDR);
    return {
      bindings: [adjustmentBinding({ pool, standards, persons, temporal, workflowsQueue: cfg.YOUFU_WORKFLOWS_QUEUE, personsQueue: cfg.YOUFU_PERSONS_QUEUE, activityQueue, payrollPoll: cfg.YOUFU_ADJUSTMENT_PAYROLL_POLL, partitions: cfg.YOUFU_ADJUSTMENT_PARTITIONS, pageSize: cfg.YOUFU_ADJUSTMENT_PAGE_SIZE, reminderAfter: cfg.YOUFU_ADJUSTMENT_REMINDER_AFTER })],
      consumers: [wagesConsumer],
      activities: createAdjustmentActivities({ pool, persons }),
      stop: async () => {
        standards.close();
        persons.close();
      },
    };
  },
};
