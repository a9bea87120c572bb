import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { APP_ERROR_TYPE, appFailure, type AppErrorDetail } from './app-failure';
import { AppError, fromZodError } from './errors';

/**
 * An AppError as a Temporal failure: non-retryable with its code, reason and field paths, except a
 * transient one (UNAVAILABLE), which stays retryable.
 */
export const toApplicationFailure = (err: AppError): ApplicationFailure => appFailure(err.kind, err.reason, err.message, err.violations, err.metadata);

/** Wraps an activity so the AppErrors (and zod failures) it throws cross Temporal intact. */
export function crossingTemporal<F extends (...args: never[]) => Promise<unknown>>(fn: F): F {
  return (async (...args: Parameters<F>) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof AppError) throw toApplicationFailure(err);
      if (err instanceof ZodError) throw toApplicationFailure(fromZodError(err));
      throw err;
    }
  }) as F;
}

/** Every function of an activities object wrapped by `crossingTemporal`; the type is unchanged. */
export function activitiesOf<A extends object>(activities: A): A {
  return Object.fromEntries(
    Object.entries(activities).map(([k, v]) => [k, typeof v === 'function' ? crossingTemporal(v as never) : v]),
  ) as A;
}

const causes = function* (err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e && depth < 12; e = (e as { cause?: unknown }).cause, depth++) yield e;
};

/**
 * The AppError a Temporal failure carries back to a caller (a workflow result or update failing
 * because an activity or the workflow threw one), or Temporal's own refusals: a workflow id already
 * running → ALREADY_EXISTS, a timeout → DEADLINE_EXCEEDED, the server unreachable → UNAVAILABLE.
 * Undefined for anything else (a bug: INTERNAL).
 */
export function fromTemporalError(err: unknown): AppError | undefined {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new AppError('ALREADY_EXISTS', 'WORKFLOW_ALREADY_STARTED', `workflow ${err.workflowId} is already running`);
  }
  for (const e of causes(err)) {
    if (e instanceof ApplicationFailure && e.type === APP_ERROR_TYPE) {
      const d = e.details?.[0] as AppErrorDetail | undefined;
      if (d) return new AppError(d.kind, d.reason, e.message, d.violations ?? [], d.metadata ?? {});
    }
    if (e instanceof TimeoutFailure) return new AppError('DEADLINE_EXCEEDED', 'WORKFLOW_TIMED_OUT', 'the workflow did not finish in time');
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new AppError('DEADLINE_EXCEEDED', 'WORKFLOW_UPDATE_TIMED_OUT', 'the workflow did not answer in time; retry (the request is kept)');
  }
  for (const e of causes(err)) {
    // Temporal's client wraps grpc errors; 14 = UNAVAILABLE, 8 = RESOURCE_EXHAUSTED (e.g. too many updates in flight on one workflow).
    const code = (e as { code?: unknown }).code;
    if (code === 14) return new AppError('UNAVAILABLE', 'TEMPORAL_UNAVAILABLE', 'Temporal is unavailable; retry later');
    if (code === 8) return new AppError('RESOURCE_EXHAUSTED', 'TEMPORAL_BUSY', 'Temporal refused the call for now (too many in flight); retry shortly');
  }
  return undefined;
}
