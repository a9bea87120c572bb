import * as grpc from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeServiceService } from '../../protos/gen/youfu/devtest/v1/probe';
import { classifyError, createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { createLogger } from '../../services/lib/log';
import { startService, type RunningService } from '../../services/lib/runtime';
import { AesGcmCodec, createTemporalClient } from '../../services/lib/temporal';
import { startWorkflowsWorker } from '../../workflows/worker';
import { createProbeModule } from '../fixtures/probe';
import { eventually, freshDatabase, serviceEnv, token, topicPrefix, uniqueId } from '../support/env';
import { failure } from '../support/grpc';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '../fixtures');

/** The runtime's Temporal side: a workflow started by a gRPC handler, run by the workflows worker, its activity on the service's queue. */
describe('workflows worker and service activities', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let svc: RunningService;
  let client: UnaryClient<typeof ProbeServiceService>;
  let temporal: Client;
  let clerk: string;
  const name = `probe_${uniqueId('w').replace(/-/g, '_')}`;
  const env = () => serviceEnv(db.adminUrl, topicPrefix('wf'));

  beforeAll(async () => {
    db = await freshDatabase('workflows');
    svc = await startService(createProbeModule({ name, activities: true }), { env: env() });
    client = createUnaryClient(ProbeServiceService, `127.0.0.1:${svc.grpcPort}`);
    temporal = await createTemporalClient(
      { YOUFU_TEMPORAL_ADDRESS: env().YOUFU_TEMPORAL_ADDRESS!, YOUFU_TEMPORAL_NAMESPACE: env().YOUFU_TEMPORAL_NAMESPACE! },
      AesGcmCodec.fromConfig(`dev:${Buffer.alloc(32, 7).toString('base64')}`),
    );
    clerk = await token('clerk', 'li');
  });
  afterAll(async () => {
    client?.close();
    await temporal?.connection.close();
    await svc?.stop();
    await db?.drop();
  });

  const calls = async (taskId: string) =>
    Object.fromEntries((await svc.pool.query<{ step: string; calls: number }>('SELECT step, calls FROM probe_steps WHERE task_id = $1', [taskId])).rows.map((r) => [r.step, r.calls]));

  it('runs a workflow started through a gRPC handler; an activity’s AppError reaches the caller with its code and reason', async () => {
    const queue = uniqueId('workflows');
    const worker = await startWorkflowsWorker({ taskQueue: queue, workflowsPath: path.join(fixtures, 'workflows/index.ts'), env: env() });
    try {
      expect(worker.workflows).toBe('source');
      const taskId = uniqueId('ok');
      expect(await client.runTask({ taskId, failReason: '', waitForRelease: false, workflowQueue: queue }, clerk)).toEqual({ result: 'first+second' });
      expect(await calls(taskId)).toEqual({ first: 1, second: 1 });

      const refused = await failure(client.runTask({ taskId: uniqueId('no'), failReason: 'PROBE_REFUSED', waitForRelease: false, workflowQueue: queue }, clerk));
      expect(refused).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'PROBE_REFUSED' });
      expect(refused.message).toContain('probe step first refused');

      // A workflow update refused by its validator maps to the same status and reason.
      const held = uniqueId('held');
      const handle = await temporal.workflow.start('probeTask', {
        taskQueue: queue,
        workflowId: `probe-task:${held}`,
        args: [{ taskId: held, failReason: '', waitForRelease: true, activityQueue: name }],
      });
      const updateErr = await handle.executeUpdate('approve', { args: [''] }).then(() => undefined, (e: unknown) => e);
      const c = classifyError(updateErr, createLogger('test', 'silent'), 'r-1');
      expect(c).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'NOTE_REQUIRED', violations: [{ field: 'note', description: 'required' }] });
      expect(await handle.executeUpdate('approve', { args: ['ok'] })).toBe('approved: ok');
      await handle.signal('release');
      expect(await handle.result()).toBe('first+second');

      // Starting a business key that is already running is refused as ALREADY_EXISTS.
      const again = uniqueId('again');
      const opts = { taskQueue: queue, workflowId: `probe-task:${again}`, args: [{ taskId: again, failReason: '', waitForRelease: true, activityQueue: name }] };
      const first = await temporal.workflow.start('probeTask', opts);
      const dup = await temporal.workflow.start('probeTask', opts).then(() => undefined, (e: unknown) => e);
      expect(classifyError(dup, createLogger('test', 'silent'), 'r-2')).toMatchObject({ code: grpc.status.ALREADY_EXISTS, reason: 'WORKFLOW_ALREADY_STARTED' });
      await first.terminate('test over');
    } finally {
      await worker.stop();
    }
  });

  it('survives SIGKILL of the workflows worker mid-workflow: a restarted worker completes it, each step once', async () => {
    const queue = uniqueId('workflows-kill');
    const spawnWorker = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', path.join(fixtures, 'workflows-worker-main.ts')], {
        env: { ...process.env, ...env(), PROBE_QUEUE: queue },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    let child = spawnWorker();
    try {
      const taskId = uniqueId('kill');
      const answer = client.runTask({ taskId, failReason: '', waitForRelease: true, workflowQueue: queue }, clerk, { deadlineMs: 110_000 });
      await eventually(async () => ((await calls(taskId)).first === 1 ? true : undefined), 60_000, 'the first step');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      child = spawnWorker();
      await temporal.workflow.getHandle(`probe-task:${taskId}`).signal('release');
      expect(await answer).toEqual({ result: 'first+second' });
      expect(await calls(taskId)).toEqual({ first: 1, second: 1 });
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
