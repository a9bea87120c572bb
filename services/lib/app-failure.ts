import { ApplicationFailure } from '@temporalio/common';
import type { ErrorKind, FieldViolation } from './errors';

/**
 * The Temporal form of a Youfu AppError, safe inside workflow code (it imports nothing but
 * @temporalio/common): an ApplicationFailure of type `youfu.AppError` whose details carry the
 * kind, reason, field paths and metadata, so the gRPC caller gets the same status and reason.
 */
export const APP_ERROR_TYPE = 'youfu.AppError';

export interface AppErrorDetail {
  kind: ErrorKind;
  reason: string;
  violations: FieldViolation[];
  metadata: Record<string, string>;
}

/** Non-retryable unless the kind is UNAVAILABLE (a dependency down: retrying may help). */
export function appFailure(kind: ErrorKind, reason: string, message: string, violations: FieldViolation[] = [], metadata: Record<string, string> = {}): ApplicationFailure {
  const detail: AppErrorDetail = { kind, reason, violations, metadata };
  return ApplicationFailure.create({ type: APP_ERROR_TYPE, message, nonRetryable: kind !== 'UNAVAILABLE', details: [detail] });
}
