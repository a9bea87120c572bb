import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { randomUUID } from 'node:crypto';
import { ZodError } from 'zod';
import { Status as RpcStatus } from '../../protos/gen/google/rpc/status';
import { BadRequest, ErrorInfo } from '../../protos/gen/google/rpc/error_details';
import { authorize, tokenInvalid, type Caller, type Delegation, type Policy, type Verifier } from './auth';
import { AppError, assertNoControlCharacters, fromZodError, isTransient, type FieldViolation } from './errors';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import { addReflection, REFLECTION_SERVICES } from './reflection';
import { fromTemporalError } from './temporal-errors';

/** What every handler receives besides its request. */
export interface CallContext {
  caller: Caller;
  requestId: string;
  /** `/package.Service/Method` */
  rpc: string;
  log: Logger;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
  /** The caller's deadline (ms since the epoch), Infinity when none: calls onwards inherit it. */
  deadline: number;
  /**
   * The caller's own bearer token, verified: only to forward where a decision must be the person's
   * own (an approver's approval through another service, clients.ts `bearer`); never stored.
   */
  bearer?: string;
}

export type ReqOf<M> = M extends { requestDeserialize: (b: Buffer) => infer R } ? R : never;
export type ResOf<M> = M extends { responseSerialize: (v: infer R) => Buffer } ? R : never;

/**
 * Handlers in async style, keyed exactly like the ts-proto service definition, so adding an RPC to a
 * .proto fails the build until it is implemented (style.md habit 3).
 */
export type Handlers<D> = {
  [K in keyof D]: D[K] extends { requestStream: false; responseStream: false }
    ? (req: ReqOf<D[K]>, ctx: CallContext) => Promise<ResOf<D[K]>>
    : D[K] extends { requestStream: true; responseStream: false }
      ? (reqs: AsyncIterable<ReqOf<D[K]>>, ctx: CallContext) => Promise<ResOf<D[K]>>
      : D[K] extends { requestStream: false; responseStream: true }
        ? (req: ReqOf<D[K]>, ctx: CallContext) => AsyncIterable<ResOf<D[K]>>
        : (reqs: AsyncIterable<ReqOf<D[K]>>, ctx: CallContext) => AsyncIterable<ResOf<D[K]>>;
};

/** One gRPC service: its generated definition, its handlers and who may call each RPC. */
export interface ServiceBinding<D> {
  definition: D;
  handlers: Handlers<D>;
  policies: { [K in keyof D]: Policy };
  /**
   * Services that may act (`act`) for a person on an RPC, and as which roles. Anything not listed
   * is refused; acting for an approver is refused everywhere (auth.ts `authorize`).
   */
  delegations?: { [K in keyof D]?: readonly Delegation[] };
}

/** Helps TypeScript infer D for a binding. */
export const bindService = <D>(b: ServiceBinding<D>): ServiceBinding<D> => b;

/** Largest message our servers and clients accept. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const CODES: Record<AppError['kind'], grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  ABORTED: grpc.status.ABORTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  CANCELLED: grpc.status.CANCELLED,
  OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  UNIMPLEMENTED: grpc.status.UNIMPLEMENTED,
  INTERNAL: grpc.status.INTERNAL,
};

/** The ErrorKind of a gRPC status code (INTERNAL for codes we never use). */
export function kindOf(code: grpc.status): AppError['kind'] {
  return (Object.keys(CODES) as AppError['kind'][]).find((k) => CODES[k] === code) ?? 'INTERNAL';
}

/** A failure as the error boundary classifies it: canonical code, stable reason, safe message. */
export interface ClassifiedError {
  code: grpc.status;
  /** Empty for INTERNAL (nothing about a bug is exposed). */
  reason: string;
  message: string;
  violations: FieldViolation[];
  metadata: Record<string, string>;
}

/**
 * The one error boundary: known errors keep their code; a dependency outage becomes UNAVAILABLE;
 * anything else becomes INTERNAL with a generic message while the cause is logged. Batch RPCs use
 * it for per-item errors; `toServiceError` turns it into the gRPC status.
 */
export function classifyError(err: unknown, log: Logger, requestId: string): ClassifiedError {
  let app: AppError | undefined;
  if (err instanceof AppError) app = err;
  else if (err instanceof ZodError) app = fromZodError(err);
  else if ((app = fromTemporalError(err))) {
    /* an activity's or workflow's AppError, or Temporal's own refusal */
  }
  else if (isTransient(err)) {
    log.warn({ err }, 'dependency unavailable');
    app = new AppError('UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE', 'a dependency is unavailable; retry later');
  } else {
    log.error({ err }, 'unhandled error');
    return { code: grpc.status.INTERNAL, reason: '', message: `internal error (request ${requestId})`, violations: [], metadata: {} };
  }
  return { code: CODES[app.kind], reason: app.reason, message: app.message, violations: app.violations, metadata: app.metadata };
}

/** Most field violations an answer carries (message and BadRequest), so a refusal always fits the trailers. */
export const MAX_VIOLATIONS = 20;

/** Longest status message, characters. */
const MAX_MESSAGE = 4000;

/** Keeps the first MAX_VIOLATIONS violations (saying how many more there were) and a message that fits. */
function capped(e: ClassifiedError): ClassifiedError {
  let { violations, message } = e;
  if (violations.length > MAX_VIOLATIONS) {
    const more = violations.length - MAX_VIOLATIONS;
    violations = violations.slice(0, MAX_VIOLATIONS);
    message = `${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}; and ${more} more`;
  }
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  return { ...e, violations: violations.map((v) => ({ field: v.field.slice(0, 500), description: v.description.slice(0, 500) })), message };
}

/**
 * The status a failed call ends with: known errors carry google.rpc.Status details (ErrorInfo,
 * BadRequest) in `grpc-status-details-bin`; INTERNAL carries none.
 */
export function toServiceError(err: unknown, log: Logger, requestId: string): Partial<grpc.StatusObject> {
  const e = capped(classifyError(err, log, requestId));
  const metadata = new grpc.Metadata();
  metadata.set('x-request-id', requestId);
  if (e.code !== grpc.status.INTERNAL) {
    const details = [
      {
        typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo',
        value: Buffer.from(ErrorInfo.encode({ reason: e.reason, domain: 'youfu', metadata: e.metadata }).finish()),
      },
    ];
    if (e.violations.length) {
      const fieldViolations = e.violations.map((v) => ({ field: v.field, description: v.description, reason: e.reason, localizedMessage: undefined }));
      details.push({ typeUrl: 'type.googleapis.com/google.rpc.BadRequest', value: Buffer.from(BadRequest.encode({ fieldViolations }).finish()) });
    }
    metadata.set('grpc-status-details-bin', Buffer.from(RpcStatus.encode({ code: e.code, message: e.message, details }).finish()));
  }
  return { code: e.code, details: e.message, metadata };
}

/** Decodes the rich error model from a client-side ServiceError (for tests and Youfu clients). */
export function errorDetails(err: grpc.ServiceError): { reason?: string; fields: string[]; violations: FieldViolation[]; metadata: Record<string, string>; status?: RpcStatus } {
  const bin = err.metadata?.get('grpc-status-details-bin')[0];
  if (!bin || typeof bin === 'string') return { fields: [], violations: [], metadata: {} };
  const status = RpcStatus.decode(bin);
  let reason: string | undefined;
  let metadata: Record<string, string> = {};
  const violations: FieldViolation[] = [];
  for (const d of status.details) {
    if (d.typeUrl.endsWith('google.rpc.ErrorInfo')) ({ reason, metadata } = ErrorInfo.decode(d.value));
    if (d.typeUrl.endsWith('google.rpc.BadRequest')) violations.push(...BadRequest.decode(d.value).fieldViolations.map(({ field, description }) => ({ field, description })));
  }
  return { reason, fields: violations.map((v) => v.field), violations, metadata, status };
}

/** Async iterable over a client stream's messages. */
async function* messages<T>(stream: grpc.ServerReadableStream<T, unknown> | grpc.ServerDuplexStream<T, unknown>): AsyncIterable<T> {
  // destroyOnReturn: false — ending the loop (the client half-closed) must not destroy the call,
  // whose response side is still being written. A malformed message ends the call; control
  // characters are left to the handler's per-item parsing (an import refuses that record only).
  for await (const m of stream.iterator({ destroyOnReturn: false })) {
    if (m === MALFORMED) throw malformed();
    yield m as T;
  }
}

interface RuntimeDeps {
  auth: Verifier;
  log: Logger;
  metrics?: Metrics;
  admit?: (caller: Caller) => Promise<void>;
  fromCertificate?: (fingerprint256: string) => Promise<Caller | undefined>;
  /** Told of every UNAVAILABLE answer, so health need not wait for its next probe. */
  onUnavailable?: () => void;
}

/** What a request deserializer yields for bytes that are not the request message. */
const MALFORMED = Symbol('malformed request');
const malformed = () =>
  new AppError('INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the request bytes are not a valid message of this RPC', [
    { field: '(request)', description: 'not a valid protobuf encoding of the request message' },
  ]);

/** The definition with deserializers that never throw: undecodable bytes become MALFORMED, refused by the boundary. */
function tolerant(definition: object): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>).map(([k, m]) => [
      k,
      {
        ...m,
        requestDeserialize: (b: Buffer) => {
          try {
            return m.requestDeserialize(b);
          } catch {
            return MALFORMED;
          }
        },
      },
    ]),
  ) as grpc.ServiceDefinition;
}

/** A decoded request message, checked: not malformed, and no control characters in any string. */
function checked(msg: unknown): unknown {
  if (msg === MALFORMED) throw malformed();
  assertNoControlCharacters(msg);
  return msg;
}

function bearer(md: grpc.Metadata): string | undefined {
  const v = md.get('authorization')[0];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^Bearer /i.test(v)) throw tokenInvalid('authorization must be "Bearer <JWT>"');
  return v.slice('Bearer '.length).trim() || undefined;
}

/** The SHA-256 fingerprint of the client certificate the TLS handshake verified, if any. */
function peerFingerprint(call: { getAuthContext?: () => { sslPeerCertificate?: { fingerprint256?: string } } }): string | undefined {
  return call.getAuthContext?.()?.sslPeerCertificate?.fingerprint256 || undefined;
}

/** Who is calling: the bearer token, else a verified client certificate the hook maps; then the admission hook. */
async function identify(call: grpc.ServerUnaryCall<unknown, unknown>, deps: RuntimeDeps): Promise<Caller> {
  const token = bearer(call.metadata);
  const fingerprint = peerFingerprint(call as never);
  let caller: Caller | undefined;
  if (!token && fingerprint && deps.fromCertificate) {
    const c = await deps.fromCertificate(fingerprint);
    if (c) caller = { ...c, certificate: fingerprint };
  }
  caller ??= await deps.auth.verify(token);
  if (deps.admit) await deps.admit(caller);
  return caller;
}

function wrap<D>(binding: ServiceBinding<D>, deps: RuntimeDeps): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const key of Object.keys(binding.definition as object) as (keyof D & string)[]) {
    const method = (binding.definition as Record<string, grpc.MethodDefinition<unknown, unknown>>)[key]!;
    const handler = binding.handlers[key] as unknown as (input: unknown, ctx: CallContext) => unknown;
    const policy = binding.policies[key];
    const delegations = binding.delegations?.[key] ?? [];
    const rpc = method.path;

    const begin = async (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>) => {
      const rid = call.metadata.get('x-request-id')[0];
      const requestId = typeof rid === 'string' && /^[\w-]{1,64}$/.test(rid) ? rid : randomUUID();
      const log = deps.log.child({ requestId, rpc });
      const abort = new AbortController();
      (call as grpc.ServerUnaryCall<unknown, unknown>).on('cancelled', () => abort.abort());
      const dl = call.getDeadline();
      const deadline = dl instanceof Date ? dl.getTime() : dl;
      const ctx: CallContext = { caller: { subject: '', role: 'service' }, requestId, rpc, log, signal: abort.signal, deadline };
      const caller = await identify(call as grpc.ServerUnaryCall<unknown, unknown>, deps);
      authorize(caller, policy, rpc, delegations);
      ctx.caller = caller;
      const token = bearer(call.metadata);
      if (token) ctx.bearer = token;
      return ctx;
    };
    const observe = (started: bigint, code: grpc.status) =>
      deps.metrics?.rpcDuration.observe({ method: rpc, code: grpc.status[code] }, Number(process.hrtime.bigint() - started) / 1e9);
    const fail = (err: unknown, ctxLog: Logger, requestId: string, started: bigint) => {
      const se = toServiceError(err, ctxLog, requestId);
      if (se.code === grpc.status.UNAVAILABLE) deps.onUnavailable?.();
      observe(started, se.code ?? grpc.status.INTERNAL);
      ctxLog.info({ code: grpc.status[se.code ?? 2], reason: errorDetails(se as grpc.ServiceError).reason, message: se.details }, 'rpc failed');
      return se;
    };

    type AnyCall = grpc.ServerUnaryCall<unknown, unknown> & grpc.ServerDuplexStream<unknown, unknown>;
    /** Authenticates, runs `respond`, records the outcome; failures go through the error boundary. */
    const serve = (call: AnyCall, respond: (ctx: CallContext) => Promise<void>, reject: (se: Partial<grpc.StatusObject>) => void) => {
      const started = process.hrtime.bigint();
      let ctxLog = deps.log.child({ rpc });
      let rid = '';
      begin(call)
        .then(async (ctx) => {
          ctxLog = ctx.log;
          rid = ctx.requestId;
          await respond(ctx);
          observe(started, grpc.status.OK);
        })
        .catch((err: unknown) => reject(fail(err, ctxLog, rid || randomUUID(), started)));
    };
    const input = (call: AnyCall) => (method.requestStream ? messages(call) : checked(call.request));
    impl[key] = (method.responseStream
      ? (call: AnyCall) =>
          serve(
            call,
            async (ctx) => {
              for await (const out of handler(input(call), ctx) as AsyncIterable<unknown>) {
                if (!call.write(out)) await new Promise((r) => call.once('drain', r));
              }
              call.end();
            },
            (se) => call.emit('error', Object.assign(new Error(se.details ?? 'rpc failed'), se)),
          )
      : (call: AnyCall, cb: grpc.sendUnaryData<unknown>) =>
          serve(call, async (ctx) => cb(null, (await handler(input(call), ctx)) as never), (se) => cb(se))) as grpc.UntypedHandleCall;
  }
  return impl;
}

export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  bindings: ServiceBinding<any>[];
  auth: Verifier;
  log: Logger;
  metrics?: Metrics;
  /** Server TLS; with `clientCa`, clients must present a certificate that CA signed (mTLS). */
  tls?: ServerTls;
  /**
   * Admission hook run after the token is verified (e.g. a hospital token's `jti` must be
   * registered and unrevoked); throw `tokenRevoked()` to refuse.
   */
  admit?: (caller: Caller) => Promise<void>;
  /** Maps a verified client certificate's SHA-256 fingerprint to a caller (hospitals on mTLS). */
  fromCertificate?: (fingerprint256: string) => Promise<Caller | undefined>;
  /** Real dependency check for the health service (e.g. a query on the pool). */
  healthy: () => Promise<boolean>;
  /** How often health is re-evaluated, ms. */
  healthIntervalMs?: number;
}

/** PEM contents of the server's certificate chain and key, and for mTLS the client CA. */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

/** Server credentials: insecure without `tls`; with `clientCa`, a client certificate is required. */
export function serverCredentials(tls?: ServerTls): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], !!tls.clientCa);
}

export interface RunningGrpcServer {
  port: number;
  server: grpc.Server;
  health: HealthImplementation;
  /** Re-evaluates health now (e.g. a dependency just failed). */
  recheck(): Promise<void>;
  /** Marks NOT_SERVING, stops accepting, lets in-flight calls finish until the deadline, then forces. */
  shutdown(deadlineMs?: number): Promise<void>;
}

/**
 * Starts a gRPC server with the standard health service (reflecting `healthy()`), server
 * reflection over every contract in protos/, the auth check and the error boundary.
 */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES });
  const names = opts.bindings.map((b) => {
    const first = Object.values(b.definition as Record<string, { path: string }>)[0];
    return first ? first.path.split('/')[1]! : '';
  });
  const health = new HealthImplementation(Object.fromEntries([['', 'UNKNOWN'], ...names.map((n) => [n, 'UNKNOWN'])]));
  health.addToServer(server);

  addReflection(server, [...names, 'grpc.health.v1.Health', ...REFLECTION_SERVICES]);

  let stopping = false;
  const setAll = (s: 'SERVING' | 'NOT_SERVING') => ['', ...names].forEach((n) => health.setStatus(n, s));
  let checking: Promise<void> | undefined;
  /** Re-evaluates health now (one check at a time). */
  const check = () =>
    (checking ??= (async () => {
      try {
        const ok = await opts.healthy();
        if (!stopping) setAll(ok ? 'SERVING' : 'NOT_SERVING');
      } finally {
        checking = undefined;
      }
    })());

  // A dependency failing a call turns health NOT_SERVING at once, not at the next probe.
  const onUnavailable = () => void check();
  for (const b of opts.bindings) {
    server.addService(tolerant(b.definition as object), wrap(b, { ...opts, onUnavailable }));
  }

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, serverCredentials(opts.tls), (err, p) => (err ? reject(err) : resolve(p))),
  );

  await check();
  const timer = setInterval(() => void check(), opts.healthIntervalMs ?? 5000);
  timer.unref();

  return {
    port,
    server,
    health,
    recheck: check,
    async shutdown(deadlineMs = 10_000) {
      stopping = true;
      clearInterval(timer);
      setAll('NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

/** Call credentials for a bearer token, for Youfu's own clients. */
export function bearerMetadata(token: string, requestId?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  if (requestId) md.set('x-request-id', requestId);
  return md;
}

/** Promise-style unary methods of a service definition, each taking a request and a bearer token. */
export type UnaryClient<D> = {
  [K in keyof D as D[K] extends { requestStream: false; responseStream: false } ? K : never]: (
    req: ReqOf<D[K]>,
    token?: string,
    opts?: { deadlineMs?: number; requestId?: string },
  ) => Promise<ResOf<D[K]>>;
} & { close(): void; raw: grpc.Client };

/** A channel to `address` with the same message size limit as our servers (batch answers can pass gRPC's 4 MiB default). */
export function channel(address: string, creds: grpc.ChannelCredentials, options: grpc.ClientOptions = {}): grpc.Client {
  return new grpc.Client(address, creds, { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, ...options });
}

/** The unary methods of a ts-proto service definition, by key. */
export const unaryMethods = (definition: unknown) =>
  Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>).filter(([, m]) => !m.requestStream && !m.responseStream);

/** One unary call as a promise; rejects with the grpc-js ServiceError. */
export function callUnary(raw: grpc.Client, m: grpc.MethodDefinition<unknown, unknown>, req: unknown, md: grpc.Metadata, deadline: number): Promise<unknown> {
  return new Promise((resolve, reject) =>
    raw.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, md, { deadline }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

/** A client for tests and tools (unary methods, typed from ts-proto), each taking a request and a bearer token. */
export function createUnaryClient<D>(
  definition: D,
  address: string,
  creds = grpc.credentials.createInsecure(),
  options: grpc.ClientOptions = {},
): UnaryClient<D> {
  const raw = channel(address, creds, options);
  const out: Record<string, unknown> = { close: () => raw.close(), raw };
  for (const [key, m] of unaryMethods(definition)) {
    out[key] = (req: unknown, token?: string, opts: { deadlineMs?: number; requestId?: string } = {}) =>
      callUnary(raw, m, req, token ? bearerMetadata(token, opts.requestId) : new grpc.Metadata(), Date.now() + (opts.deadlineMs ?? 30_000));
  }
  return out as UnaryClient<D>;
}
