import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { AesGcmCodec, createTemporalClient, startTemporalWorker } from '../../services/lib/temporal';
import { createGreetActivities } from '../fixtures/greet-activities';
import { testConfig, uniqueId } from '../support/env';

const here = path.dirname(fileURLToPath(import.meta.url));
const codec = AesGcmCodec.fromConfig(`k1:${Buffer.alloc(32, 1).toString('base64')}`);

describe('Temporal dev server', () => {
  let client: Client | undefined;
  afterAll(async () => client?.connection.close());

  it('runs a workflow with an activity, and keeps its payloads encrypted in history', async () => {
    const taskQueue = uniqueId('greet');
    const worker = await startTemporalWorker(testConfig, {
      taskQueue,
      workflowsPath: path.join(here, '../fixtures/workflows/greet.ts'),
      activities: createGreetActivities(new Map([['p-1', '张三']])),
      codec,
    });
    client = await createTemporalClient(testConfig, codec);
    const workflowId = uniqueId('greet-wf');
    const result = await client.workflow.execute('greet', { taskQueue, workflowId, args: ['p-1'] }).finally(() => worker.stop());
    expect(result).toBe('hello 张三');

    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: testConfig.YOUFU_TEMPORAL_NAMESPACE,
      execution: { workflowId },
    });
    const events = history?.events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
    const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes;
    for (const p of [...(scheduled?.input?.payloads ?? []), ...(completed?.result?.payloads ?? [])]) {
      expect(Buffer.from(p.metadata!.encoding!).toString()).toBe('binary/encrypted');
      expect(Buffer.from(p.data!).toString()).not.toContain('张三');
      expect(Buffer.from(p.data!).toString()).not.toContain('p-1');
    }
    expect(scheduled?.input?.payloads?.length).toBe(1);
    const [decoded] = await codec.decode([completed!.result!.payloads![0]! as never]);
    expect(Buffer.from(decoded!.data!).toString()).toBe(JSON.stringify('hello 张三'));
  });
});
