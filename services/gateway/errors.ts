/**
 * The doors' one error shape: a gRPC status (the service's, or the door's own for what never
 * reached a service) as an HTTP status and a JSON body carrying the same ErrorInfo reason, metadata
 * and BadRequest field paths. Each door renders it in its own format (the national envelope's
 * `err_msg`, FHIR's OperationOutcome); the mapping lives here only.
 */
import * as grpc from '@grpc/grpc-js';
import type { z } from 'zod';
import { fromZodError, type FieldViolation } from '../lib/errors';
import { errorDetails } from '../lib/grpc';

/** HTTP status per gRPC code. A rule not met is 422 (the request was understood and refused); a stale version or duplicate is 409. */
const HTTP: Record<number, number> = {
  [grpc.status.OK]: 200,
  [grpc.status.CANCELLED]: 499,
  [grpc.status.UNKNOWN]: 500,
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.FAILED_PRECONDITION]: 422,
  [grpc.status.ABORTED]: 409,
  [grpc.status.OUT_OF_RANGE]: 400,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.INTERNAL]: 500,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DATA_LOSS]: 500,
  [grpc.status.UNAUTHENTICATED]: 401,
};

export const httpStatusOf = (code: grpc.status) => HTTP[code] ?? 500;

export interface DoorError {
  /** HTTP status (from `code`, unless the door's own: 404 route, 405, 413, 415). */
  http: number;
  code: grpc.status;
  /** The code's name, e.g. INVALID_ARGUMENT. */
  status: string;
  /** The ErrorInfo reason, e.g. INVALID_FIELD, CAP_EXCEEDED, MALFORMED_JSON. */
  reason: string;
  message: string;
  fieldViolations: FieldViolation[];
  metadata: Record<string, string>;
}

export function doorError(code: grpc.status, reason: string, message: string, o: { http?: number; fieldViolations?: FieldViolation[]; metadata?: Record<string, string> } = {}): DoorError {
  return { http: o.http ?? httpStatusOf(code), code, status: grpc.status[code] ?? 'UNKNOWN', reason, message, fieldViolations: o.fieldViolations ?? [], metadata: o.metadata ?? {} };
}

/** A service's answer as a DoorError, its reason and field paths kept. */
export function fromServiceError(err: grpc.ServiceError): DoorError {
  const d = errorDetails(err);
  const code = err.code ?? grpc.status.UNKNOWN;
  // A channel failure (nothing answered) has no details: name it.
  const reason = d.reason ?? (code === grpc.status.UNAVAILABLE ? 'BACKEND_UNAVAILABLE' : code === grpc.status.DEADLINE_EXCEEDED ? 'DEADLINE_EXCEEDED' : grpc.status[code] ?? 'UNKNOWN');
  return doorError(code, reason, err.details || reason, { fieldViolations: d.violations, metadata: d.metadata });
}

export const isDoorError = (e: unknown): e is DoorError => typeof e === 'object' && e !== null && 'http' in e && 'reason' in e && 'status' in e;

/** The JSON door's body for an error. */
export const errorBody = (e: DoorError, requestId: string) => ({
  error: { code: e.code, status: e.status, reason: e.reason, message: e.message, fieldViolations: e.fieldViolations, metadata: e.metadata, requestId },
});

/** Parses a door's input with zod; a failure is INVALID_ARGUMENT `INVALID_FIELD` with field paths under `prefix` (lib/errors `fromZodError`). */
export function parseDoorInput<S extends z.ZodType>(schema: S, value: unknown, prefix: (string | number)[] = []): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const e = fromZodError(r.error, prefix);
  throw doorError(grpc.status.INVALID_ARGUMENT, e.reason, e.message, { fieldViolations: e.violations });
}
