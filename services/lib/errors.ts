import { ZodError, type z } from 'zod';

/** Canonical failure kinds the error boundary maps to gRPC status codes. */
export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'ABORTED'
  | 'UNAVAILABLE'
  // Kept as they are when another service answers with them (lib/clients.ts).
  | 'DEADLINE_EXCEEDED'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

/** One offending request field: its path (e.g. `rows[2].amount.fen`) and what is wrong. */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * A typed domain error. Domain and storage code throw these; only the gRPC error
 * boundary turns them into status codes. `reason` is a stable SCREAMING_SNAKE code
 * that clients may branch on.
 */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    readonly violations: FieldViolation[] = [],
    readonly metadata: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const invalidArgument = (field: string, description: string, reason = 'INVALID_FIELD') =>
  new AppError('INVALID_ARGUMENT', reason, `${field}: ${description}`, [{ field, description }]);
export const notFound = (what: string, reason = 'NOT_FOUND') => new AppError('NOT_FOUND', reason, `${what} not found`);
export const alreadyExists = (what: string, reason = 'ALREADY_EXISTS') =>
  new AppError('ALREADY_EXISTS', reason, `${what} already exists`);
export const failedPrecondition = (reason: string, message: string, metadata: Record<string, string> = {}) =>
  new AppError('FAILED_PRECONDITION', reason, message, [], metadata);
export const permissionDenied = (reason: string, message: string) => new AppError('PERMISSION_DENIED', reason, message);
export const aborted = (reason: string, message: string) => new AppError('ABORTED', reason, message);

/** Renders a zod issue path the way clients name fields: `rows[2].amount.fen`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Converts a zod validation failure to INVALID_ARGUMENT with one violation per issue. */
export function fromZodError(err: ZodError, prefix: ReadonlyArray<PropertyKey> = []): AppError {
  const violations = err.issues.map((i) => ({
    field: fieldPath([...prefix, ...i.path]) || '(request)',
    description: i.message,
  }));
  const message = violations.map((v) => `${v.field}: ${v.description}`).join('; ');
  return new AppError('INVALID_ARGUMENT', 'INVALID_FIELD', message, violations);
}

/** C0 control characters (and DEL) other than tab, newline and carriage return: PostgreSQL refuses U+0000, and none belongs in our text. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const isOneof = (v: unknown): v is { $case: string; value: unknown } =>
  typeof v === 'object' && v !== null && typeof (v as { $case?: unknown }).$case === 'string' && 'value' in v;

/** Every string in `input` (deeply, arrays and plain objects) holding a control character, as a field violation. */
export function controlCharacters(input: unknown, prefix: ReadonlyArray<PropertyKey> = []): FieldViolation[] {
  const out: FieldViolation[] = [];
  const walk = (v: unknown, path: PropertyKey[]) => {
    if (typeof v === 'string') {
      if (CONTROL.test(v)) out.push({ field: fieldPath(path) || '(request)', description: 'must not contain control characters (U+0000–U+001F other than tab and newline)' });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (isOneof(v)) walk(v.value, [...path.slice(0, -1), v.$case]); // ts-proto oneof: the proto field is the case
    else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof Date)) {
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    }
  };
  walk(input, [...prefix]);
  return out;
}

/** Refuses input holding control characters: INVALID_ARGUMENT `CONTROL_CHARACTER`, naming each field. */
export function assertNoControlCharacters(input: unknown, prefix: ReadonlyArray<PropertyKey> = []): void {
  const violations = controlCharacters(input, prefix);
  if (violations.length) throw new AppError('INVALID_ARGUMENT', 'CONTROL_CHARACTER', violations.map((v) => `${v.field}: ${v.description}`).join('; '), violations);
}

/**
 * Parses request input with zod; a failure is INVALID_ARGUMENT with field paths under `prefix`.
 * Strings holding control characters are refused first (`CONTROL_CHARACTER`), whatever the schema.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: ReadonlyArray<PropertyKey> = []): z.output<S> {
  assertNoControlCharacters(input, prefix);
  const r = schema.safeParse(input);
  if (!r.success) throw fromZodError(r.error, prefix);
  return r.data;
}

/** True when an error means a dependency (database, broker) is unreachable, so retrying may help. */
export function isTransient(err: unknown): boolean {
  if (err instanceof AppError) return err.kind === 'UNAVAILABLE';
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  // gRPC UNAVAILABLE as a number (Temporal's and grpc-js's service errors).
  if (code === 14) return true;
  if (typeof code === 'string') {
    // Network errors and PostgreSQL classes 08 (connection), 53 (resources), 57P (shutdown), 40 (serialization).
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
    if (/^(08|53|57P|40)/.test(code)) return true;
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err.message,
  );
}
