import * as grpc from '@grpc/grpc-js';
import type { ServiceSigner, Role } from './auth';
import { AppError } from './errors';
import { bearerMetadata, callUnary, channel, errorDetails, kindOf, unaryMethods, type CallContext, type ReqOf, type ResOf } from './grpc';

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

/** Another service's failure as an AppError with the same status code, reason and field paths. */
export function remoteError(err: grpc.ServiceError): AppError {
  const kind = kindOf(err.code);
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
  const raw = channel(o.address, creds);
  const out: Record<string, unknown> = { close: () => raw.close() };
  for (const [key, m] of unaryMethods(definition)) {
    out[key] = async (req: unknown, upstream?: Upstream, opts: CallOptions = {}) => {
      const md = bearerMetadata(opts.bearer ?? (await o.signer.token(opts.actor)), upstream?.requestId);
      const deadline = Math.min(upstream?.deadline ?? Infinity, Date.now() + (opts.timeoutMs ?? o.timeoutMs ?? 30_000));
      return callUnary(raw, m, req, md, deadline).catch((err: grpc.ServiceError) => {
        throw remoteError(err);
      });
    };
  }
  return out as ServiceClient<D>;
}
