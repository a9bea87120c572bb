import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { appFailure } from './app-failure';
import { AppError, failedPrecondition, isTransient } from './errors';
import { activitiesOf, fromTemporalError } from './temporal-errors';

describe('AppErrors across Temporal', () => {
  it('an activity’s AppError becomes a non-retryable ApplicationFailure; UNAVAILABLE stays retryable', async () => {
    const acts = activitiesOf({
      async refuse(): Promise<void> {
        throw failedPrecondition('CAP_EXCEEDED', 'the annual cap is used up', { capFen: '100' });
      },
      async down(): Promise<void> {
        throw new AppError('UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE', 'down');
      },
    });
    const refused = await acts.refuse().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'youfu.AppError', nonRetryable: true, message: 'the annual cap is used up' });
    expect(await acts.down().catch((e: ApplicationFailure) => e.nonRetryable)).toBe(false);
  });

  it('maps a workflow failure caused by it back to the same kind, reason, fields and metadata', () => {
    const cause = appFailure('INVALID_ARGUMENT', 'BAD_BILL', 'bill.amount: negative', [{ field: 'bill.amount', description: 'negative' }], { k: 'v' });
    const activity = new ActivityFailure('act failed', 'pay', 'a-1', RetryState.NON_RETRYABLE_FAILURE, undefined, cause);
    const wf = new WorkflowFailedError('workflow failed', activity, RetryState.NON_RETRYABLE_FAILURE);
    expect(fromTemporalError(wf)).toMatchObject({ kind: 'INVALID_ARGUMENT', reason: 'BAD_BILL', violations: [{ field: 'bill.amount' }], metadata: { k: 'v' } });
  });

  it('knows Temporal’s own refusals, and leaves anything else to INTERNAL', () => {
    expect(fromTemporalError(new WorkflowExecutionAlreadyStartedError('x', 'settlement:H1:B1', 'settle'))).toMatchObject({ kind: 'ALREADY_EXISTS', reason: 'WORKFLOW_ALREADY_STARTED' });
    expect(fromTemporalError(new WorkflowFailedError('f', new TimeoutFailure('t', undefined, 1 as never), RetryState.TIMEOUT))).toMatchObject({ kind: 'DEADLINE_EXCEEDED' });
    const grpcDown = Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), { code: 14 });
    expect(fromTemporalError(Object.assign(new Error('Failed to start'), { cause: grpcDown }))).toMatchObject({ kind: 'UNAVAILABLE' });
    expect(isTransient(grpcDown)).toBe(true);
    expect(fromTemporalError(ApplicationFailure.create({ type: 'SomethingElse', message: 'bug' }))).toBeUndefined();
  });
});
