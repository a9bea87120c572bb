/**
 * The approval reminder's timer, in Temporal's time-skipping test server (the Java one, resolved
 * from Maven by deploy/local/test-server.sh): days pass in seconds. The services' activities are
 * replaced by recorders here — this tests the workflow's timing alone; test/adjustment runs the
 * real ones against the real dev server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdjustmentInput } from './workflow';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '../../deploy/local/test-server.sh');

describe('annual adjustment: the approval reminder (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  const calls: { name: string; at: number }[] = [];
  const record = (name: string) => (..._args: unknown[]) => {
    calls.push({ name, at: Date.now() });
  };

  beforeAll(async () => {
    execFileSync('bash', [script, 'install'], { stdio: 'ignore' });
    Runtime.install({ logger: new DefaultLogger('WARN') });
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: script } } });
  }, 180_000);
  afterAll(async () => {
    await env?.teardown();
  });

  const run = async (id: string, whileRunning: (h: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void>) => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: id,
      workflowsPath: path.join(here, 'workflow.ts'),
      activities: {
        proposeAdjustmentChange: async () => ({ changeId: 'change-1' }),
        countAdjustmentPersons: async () => 0,
        simulateAdjustmentPage: async () => ({ processed: 0, next: '', backPayFen: '0' }),
        recordSimulated: record('recordSimulated'),
        recordApprovalOverdue: record('recordApprovalOverdue'),
        withdrawAdjustmentChange: record('withdrawAdjustmentChange'),
      },
    });
    const input: AdjustmentInput = {
      attemptId: id,
      runId: `adjustment:2022:${id}`,
      versionId: 'v',
      level: 'NATIONAL',
      effectiveFrom: '2022-08-01',
      payrollMonth: '2022-10',
      regionCode: '',
      startedBy: 'li',
      personsQueue: id,
      adjustmentQueue: id,
      reminderAfter: '7 days',
    };
    return worker.runUntil(async () => {
      const h = await env.client.workflow.start('annualAdjustment', { taskQueue: id, workflowId: input.runId, args: [input] });
      await whileRunning(h);
      return h.result();
    });
  };

  it('reminds once when no approver decided within 7 days, and keeps waiting for the decision', async () => {
    calls.length = 0;
    const result = await run('overdue', async (h) => {
      const started = await env.currentTimeMs();
      await env.sleep('8 days');
      expect(calls.map((c) => c.name)).toEqual(['recordSimulated', 'recordApprovalOverdue']);
      await env.sleep('30 days');
      expect(calls.filter((c) => c.name === 'recordApprovalOverdue')).toHaveLength(1);
      expect((await env.currentTimeMs()) - started).toBeGreaterThanOrEqual(38 * 86_400_000);
      await h.signal('decided', { approved: false });
    });
    expect(result).toEqual({ approved: false });
    expect(calls.map((c) => c.name)).toEqual(['recordSimulated', 'recordApprovalOverdue', 'withdrawAdjustmentChange']);
  });

  it('does not remind when the approver decides within the period', async () => {
    calls.length = 0;
    const result = await run('in-time', async (h) => {
      await env.sleep('3 days');
      await h.signal('decided', { approved: false });
    });
    expect(result).toEqual({ approved: false });
    expect(calls.map((c) => c.name)).toEqual(['recordSimulated', 'withdrawAdjustmentChange']);
  });
});
