import * as grpc from '@grpc/grpc-js';
import type { ServiceSigner, Role } from './auth';
import { AppError, type ErrorKind } from './errors';
import { errorDetails, MAX_MESSAGE_BYTES, type CallContext } from './grpc';

type ReqOf<M> = M extends { requestDeserialize: (b: Buffer) => infer R } ? R : never;
type ResOf<M> = M extends { responseSerialize: (v: infer R) => Buffer } ? R : never;

/** TLS towards another service: the CA that signed its certificate, and our own client certificate for mTLS. */
export interface ClientTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface ServiceClientOptions {
  address: string;
  /** Signs our own `service` tokens (cached, refreshed before expiry). */
  signer: ServiceSigner;
  tls?: ClientTls;
  /** Deadline of a call made outside any incoming call, or shorter than the caller's; default 30 s. */
  timeoutMs?: number;
}

/** Where a call comes from: the incoming call's deadline and request id travel onwards. */
export type Upstream = Pick<CallContext, 'deadline' | 'requestId'>;

export interface CallOptions {
  /** Act for this person (RFC 8693 `act`): only on RPCs the callee's policy lists; never an approver. */
  actor?: { subject: string; role: Role };
  /** A shorter deadline for this call, ms. */
  timeoutMs?: number;
  /** Forward the caller's own bearer token instead of ours (an approver's decision is never delegated). */
  bearer?: string;
}

/** Promise methods for each unary RPC of a ts-proto service definition. */
export type ServiceClient<D> = {
  [K in keyof D as D[K] extends { requestStream: false; responseStream: false } ? K : never]: (
    req: ReqOf<D[K]>,
    upstream?: Upstream,
    opts?: CallOptions,
  ) => Promise<ResOf<D[K]>>;
} & { close(): void };

const KINDS = new Set<ErrorKind>([
  'INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'ABORTED',
  'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'CANCELLED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
]);

/** Another service's failure as an AppError with the same status code, reason and field paths. */
export function remoteError(err: grpc.ServiceError): AppError {
  const name = grpc.status[err.code] as ErrorKind | undefined;
  const kind: ErrorKind = name && KINDS.has(name) ? name : 'INTERNAL';
  const d = errorDetails(err);
  return new AppError(kind, d.reason ?? (kind === 'UNAVAILABLE' ? 'DEPENDENCY_UNAVAILABLE' : kind), err.details || kind, d.violations);
}

/**
 * A client of another Youfu service: its address from config, our cached service token, the
 * caller's remaining deadline and `x-request-id` propagated, and every failure kept as the status
 * the other service answered (or UNAVAILABLE / DEADLINE_EXCEEDED from the channel).
 */
export function serviceClient<D>(definition: D, o: ServiceClientOptions): ServiceClient<D> {
  const creds = o.tls ? grpc.credentials.createSsl(o.tls.ca, o.tls.key ?? null, o.tls.cert ?? null) : grpc.credentials.createInsecure();
  const raw = new grpc.Client(o.address, creds, { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES });
  const out: Record<string, unknown> = { close: () => raw.close() };
  for (const [key, m] of Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>)) {
    if (m.requestStream || m.responseStream) continue;
    out[key] = async (req: unknown, upstream?: Upstream, opts: CallOptions = {}) => {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${opts.bearer ?? (await o.signer.token(opts.actor))}`);
      if (upstream?.requestId) md.set('x-request-id', upstream.requestId);
      const deadline = Math.min(upstream?.deadline ?? Infinity, Date.now() + (opts.timeoutMs ?? o.timeoutMs ?? 30_000));
      return new Promise((resolve, reject) =>
        raw.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, md, { deadline }, (err, res) =>
          err ? reject(remoteError(err)) : resolve(res),
        ),
      );
    };
  }
  return out as ServiceClient<D>;
}
