/**
 * The gRPC services behind the doors: one channel per area, raw bytes both ways (the doors encode
 * with the contract's registry), the caller's own bearer token and request id passed through — the
 * gateway never calls with an identity of its own, so every rule stays the service's.
 */
import * as grpc from '@grpc/grpc-js';
import type { JsonValue } from '@bufbuild/protobuf';
import { channel } from '../lib/grpc';
import { doorError, fromServiceError } from './errors';
import { binaryToJson, jsonToBinary } from './json';
import type { Contract, Route } from './registry';

/** What a call carries from the HTTP request. */
export interface CallContext {
  requestId: string;
  /** The request's `Authorization` header as sent (`Bearer …`), if any. */
  authorization?: string;
  /** Epoch ms. */
  deadline: number;
  /** Time spent waiting on the services, ms (added up over the calls; the `Server-Timing` header shows it). */
  backendMs?: number;
}

const bytes = (b: Buffer) => b;

export interface Backends {
  /** Calls a route with protobuf messages (one for unary, any number for a client stream); rejects with a DoorError. */
  call(route: Route, messages: readonly Uint8Array[], ctx: CallContext): Promise<Uint8Array>;
  /** JSON in, JSON out, through the route's strict mapping (what the envelope and FHIR doors use). */
  callJson(path: string, json: unknown, ctx: CallContext): Promise<JsonValue>;
  close(): void;
}

export function createBackends(contract: Contract, addresses: Record<string, string>, creds: grpc.ChannelCredentials): Backends {
  const channels = new Map<string, grpc.Client>();
  const channelOf = (area: string) => {
    let c = channels.get(area);
    if (!c) {
      const address = addresses[area];
      if (!address) throw doorError(grpc.status.UNIMPLEMENTED, 'NO_BACKEND', `no address is configured for the ${area} service`);
      c = channel(address, creds);
      channels.set(area, c);
    }
    return c;
  };
  const call: Backends['call'] = (route, messages, ctx) => {
    const md = new grpc.Metadata();
    if (ctx.authorization) md.set('authorization', ctx.authorization);
    md.set('x-request-id', ctx.requestId);
    const client = channelOf(route.area);
    const path = `/${route.service.typeName}/${route.method.name}`;
    const started = performance.now();
    return new Promise<Uint8Array>((resolve, reject) => {
      const done = (err: grpc.ServiceError | null, res?: Buffer) => {
        ctx.backendMs = (ctx.backendMs ?? 0) + (performance.now() - started);
        if (err) reject(fromServiceError(err));
        else resolve(res!);
      };
      if (route.method.methodKind === 'unary') {
        client.makeUnaryRequest(path, bytes, bytes, Buffer.from(messages[0] ?? new Uint8Array()), md, { deadline: ctx.deadline }, done);
      } else if (route.method.methodKind === 'client_streaming') {
        const stream = client.makeClientStreamRequest(path, bytes, bytes, md, { deadline: ctx.deadline }, done);
        for (const m of messages) stream.write(Buffer.from(m));
        stream.end();
      } else {
        reject(doorError(grpc.status.UNIMPLEMENTED, 'STREAMING_NOT_SUPPORTED', `${route.method.name} streams its answers: call it over gRPC`));
      }
    });
  };
  return {
    call,
    async callJson(path, json, ctx) {
      const route = contract.routes.get(path);
      if (!route) throw doorError(grpc.status.UNIMPLEMENTED, 'NO_SUCH_RPC', `no RPC ${path}`);
      const body = jsonToBinary(route.method.input, json, contract.registry);
      return binaryToJson(route.method.output, await call(route, [body], ctx), contract.registry);
    },
    close() {
      for (const c of channels.values()) c.close();
    },
  };
}
