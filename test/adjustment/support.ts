import { AnnualAdjustmentServiceService, Phase, type Adjustment } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import { SubsidyStandardServiceService } from '../../protos/gen/youfu/standards/v1/standards';
import { adjustmentModule, dueScheduleId } from '../../services/adjustment/index';
import type { Clock } from '../../services/lib/civil';
import { createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { startService, type RunningService } from '../../services/lib/runtime';
import { startWorkflowsWorker } from '../../workflows/worker';
import { startStack, type Stack } from '../persons/support';
import { eventually, serviceEnv, uniqueId } from '../support/env';
import { deleteSchedule } from '../support/temporal';

export interface AdjustmentStack {
  stack: Stack;
  svc: RunningService;
  client: UnaryClient<typeof AnnualAdjustmentServiceService>;
  standards: UnaryClient<typeof SubsidyStandardServiceService>;
  personsQueue: string;
  workflowsQueue: string;
  adjustmentQueue: string;
  /** The adjustment service's environment (another instance may start with it). */
  env: NodeJS.ProcessEnv;
  /** Waits until the run is in `want` (as `who` reads it). */
  phase(runId: string, want: Phase, who: string): Promise<Adjustment>;
  stop(): Promise<void>;
}

/**
 * Standards (by default seeded with 2021 only: the 2022 rows come through a run), persons with its activity
 * queue, the adjustment service and a workflows worker, on fresh queues and a fresh database.
 */
export async function startAdjustmentStack(label: string, clock: Clock, env: Record<string, string> = {}, standardsEnv: Record<string, string> = { YOUFU_STANDARDS_SEED_UNTIL: '2021-12-31' }): Promise<AdjustmentStack> {
  const personsQueue = uniqueId('persons');
  const workflowsQueue = uniqueId(`workflows-${label}`);
  const stack = await startStack(label, clock, { YOUFU_ACTIVITY_QUEUE: personsQueue }, standardsEnv);
  const e = serviceEnv(stack.db.adminUrl, stack.prefix, {
    YOUFU_STANDARDS_ADDR: `127.0.0.1:${stack.standards.grpcPort}`,
    YOUFU_PERSONS_ADDR: stack.address,
    YOUFU_WORKFLOWS_QUEUE: workflowsQueue,
    YOUFU_PERSONS_QUEUE: personsQueue,
    YOUFU_ACTIVITY_QUEUE: uniqueId('adjustment'),
    YOUFU_ADJUSTMENT_DUE_CRON: '',
    ...env,
  });
  const svc = await startService(adjustmentModule, { env: e, clock });
  const worker = await startWorkflowsWorker({ taskQueue: workflowsQueue, env: e, clock });
  const client = createUnaryClient(AnnualAdjustmentServiceService, `127.0.0.1:${svc.grpcPort}`);
  const standards = createUnaryClient(SubsidyStandardServiceService, `127.0.0.1:${stack.standards.grpcPort}`);
  return {
    stack,
    svc,
    client,
    standards,
    personsQueue,
    workflowsQueue,
    adjustmentQueue: e.YOUFU_ACTIVITY_QUEUE!,
    env: e,
    phase: (runId, want, who) =>
      eventually(async () => {
        const { adjustment } = await client.getAdjustment({ runId }, who);
        return adjustment!.phase === want ? adjustment! : undefined;
      }, 60_000, `run ${runId} ${Phase[want]}`),
    async stop() {
      if (e.YOUFU_ADJUSTMENT_DUE_CRON) await deleteSchedule(dueScheduleId(stack.prefix));
      client.close();
      standards.close();
      await worker.stop();
      await svc.stop();
      await stack.stop();
    },
  };
}
