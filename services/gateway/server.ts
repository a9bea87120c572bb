/**
 * The gateway's HTTP server: one process in front of the gRPC services. Before any door, each
 * request gets an `x-request-id` (its own when well-formed), a per-caller rate limit (a token
 * bucket per bearer token, or per address without one) and a body limit; then the door of its path:
 *
 *   POST /v1/<package>.<Service>/<Method>   the JSON door (json-door.ts)
 *   POST /national/v1                       the national platform's envelope (national.ts)
 *   /fhir/R4/…                              the FHIR R4 facade (fhir.ts)
 *   GET  /openapi.json, /docs               its OpenAPI document and a page that renders it
 *   GET  /asyncapi.json                     the event contract for partners (asyncapi.ts)
 *   GET  /console/…, GET /console/config.json, POST /console/session  the staff console, its settings and its development sign-in (console.ts)
 *   GET  /healthz                           200 while the process runs
 *
 * Served over TLS when given a certificate, like the services.
 */
import * as grpc from '@grpc/grpc-js';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/log';
import { createBackends, type Backends, type CallContext } from './backends';
import { doorError, errorBody, isDoorError, type DoorError } from './errors';
import { callJsonDoor, JSON_TYPES } from './json-door';
import { FHIR_BASE, fhirDoor, fhirError, loadFhirDefinitions } from './fhir';
import { nationalDoor, nationalError } from './national';
import { asyncApiOf } from './asyncapi';
import { CONSOLE_BASE, consoleConfig, consoleFile, devSession, type ConsoleSettings } from './console';
import { openApiOf } from './openapi';
import type { Contract } from './registry';

export interface GatewayOptions {
  host: string;
  port: number;
  contract: Contract;
  /** Address of each area's service (`standards` → host:port). */
  backends: Record<string, string>;
  /** Towards the services (TLS when they serve it). */
  credentials: grpc.ChannelCredentials;
  /** Server TLS (PEM); plaintext without. */
  tls?: { cert: Buffer; key: Buffer };
  /** Largest request body, bytes. */
  maxBodyBytes: number;
  /** Requests per second per caller, and the burst allowed above it. */
  rate: { perSecond: number; burst: number };
  /** Deadline of a call to a service, ms. */
  timeoutMs: number;
  /** Kafka bootstrap brokers, as the AsyncAPI document names them. */
  brokers: string[];
  /** The staff console: its built files, and whether the development sign-in is served (never in production). */
  console: ConsoleSettings;
  /** The gateway's own schema (the national door's answers by msgid). */
  pool: Pool;
  log: Logger;
}

export interface RunningGateway {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Token buckets per caller (in this process: each gateway instance limits on its own). */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly rate: { perSecond: number; burst: number }) {}
  /** 0 when allowed, else the seconds until a request would be. */
  take(key: string, now = Date.now()): number {
    const b = this.buckets.get(key) ?? { tokens: this.rate.burst, at: now };
    b.tokens = Math.min(this.rate.burst, b.tokens + ((now - b.at) / 1000) * this.rate.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.rate.perSecond);
  }
  /** Forgets callers idle long enough to be full again. */
  sweep(now = Date.now()): void {
    const full = (this.rate.burst / this.rate.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > full) this.buckets.delete(k);
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const CONSOLE_SESSION = `${CONSOLE_BASE}/session`;
/** The national platform's door (national.ts): one address, the transaction in the envelope's `infno`. */
export const NATIONAL_PATH = '/national/v1';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const FHIR_TYPES = ['application/fhir+json', 'application/json'];
const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
};
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Youfu JSON API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });</script>
</body></html>`;

class BodyTooLarge extends Error {}
const bodyTooLarge = (limit: number) => doorError(grpc.status.RESOURCE_EXHAUSTED, 'BODY_TOO_LARGE', `the body is larger than ${limit} bytes`, { http: 413 });
/** A development sign-in's body is a role and a name. */
const SESSION_BODY_BYTES = 4096;

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const backends: Backends = createBackends(o.contract, o.backends, o.credentials);
  loadFhirDefinitions();
  const limiter = new RateLimiter(o.rate);
  const sweeper = setInterval(() => limiter.sweep(), 60_000).unref();
  const openapi = JSON.stringify(openApiOf(o.contract, { title: 'Youfu JSON API', version: '1' }));
  const asyncapi = JSON.stringify(asyncApiOf(o.contract, { version: '1', brokers: o.brokers }));

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    // Server-Timing: the whole request in the gateway, and the part spent waiting on the services.
    const t = timings.get(res);
    if (t) headers = { ...headers, 'server-timing': `gateway;dur=${(performance.now() - t.started).toFixed(2)}, backend;dur=${(t.ctx?.backendMs ?? 0).toFixed(2)}` };
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(text);
  };
  const fail = (res: http.ServerResponse, e: DoorError, requestId: string, headers: Record<string, string> = {}) => send(res, e.http, errorBody(e, requestId), headers);

  const timings = new WeakMap<http.ServerResponse, { started: number; ctx?: CallContext }>();
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    timings.set(res, { started: performance.now() });
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://gateway');
    const p = url.pathname;
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (p === '/healthz') return send(res, 200, { status: 'SERVING' });
      if (p === '/openapi.json') return send(res, 200, openapi, { 'cache-control': 'public, max-age=60' });
      if (p === '/asyncapi.json') return send(res, 200, asyncapi, { 'cache-control': 'public, max-age=60' });
      if (p === '/docs' || p === '/docs/') return send(res, 200, DOCS_PAGE, { 'content-type': 'text/html; charset=utf-8' });
      const asset = p.startsWith('/docs/assets/') ? p.slice('/docs/assets/'.length) : '';
      if (SWAGGER_ASSETS[asset]) return send(res, 200, readFileSync(path.join(swaggerDir, asset), 'utf8'), { 'content-type': SWAGGER_ASSETS[asset], 'cache-control': 'public, max-age=3600' });
      if (p === '/') return send(res, 302, '', { location: `${CONSOLE_BASE}/` });
      if (p === `${CONSOLE_BASE}/config.json`) return send(res, 200, consoleConfig(o.console), { 'cache-control': 'no-cache' });
      if (p === CONSOLE_BASE || p.startsWith(`${CONSOLE_BASE}/`)) {
        const f = consoleFile(o.console.dir, p);
        if (!f) return fail(res, doorError(grpc.status.NOT_FOUND, 'CONSOLE_NOT_BUILT', 'the console is not built: npm run build:console'), requestId);
        return send(res, f.status, f.body, f.headers);
      }
    }
    if (p === CONSOLE_SESSION && req.method === 'POST') {
      if (!o.console.devSignIn) return fail(res, doorError(grpc.status.NOT_FOUND, 'NO_DEVELOPMENT_SIGN_IN', 'sign in at the bureau’s identity provider'), requestId);
      try {
        return send(res, 200, await devSession(await readBody(req, SESSION_BODY_BYTES), o.console.sessionTtlSeconds));
      } catch (e) {
        if (e instanceof BodyTooLarge) return fail(res, bodyTooLarge(SESSION_BODY_BYTES), requestId, { connection: 'close' });
        if (isDoorError(e)) return fail(res, e, requestId);
        throw e;
      }
    }
    const route = o.contract.routes.get(p);
    const door: 'json' | 'national' | 'fhir' | undefined = route ? 'json' : p === NATIONAL_PATH ? 'national' : p === FHIR_BASE || p.startsWith(`${FHIR_BASE}/`) ? 'fhir' : undefined;
    const refuse = (e: DoorError, headers: Record<string, string> = {}) => {
      if (door === 'national') {
        const a = nationalError(e);
        return send(res, a.http, a.body, headers);
      }
      if (door === 'fhir') {
        const a = fhirError(e);
        return send(res, a.http, a.body, { 'content-type': FHIR_JSON, ...headers });
      }
      return fail(res, e, requestId, headers);
    };
    if (!door) return refuse(doorError(grpc.status.NOT_FOUND, 'NO_SUCH_ROUTE', `nothing is served at ${req.method} ${p}`));
    const reads = door === 'fhir' && (req.method === 'GET' || req.method === 'HEAD');
    if (req.method !== 'POST' && !reads) return refuse(doorError(grpc.status.INVALID_ARGUMENT, 'METHOD_NOT_ALLOWED', `${p} takes POST`, { http: 405 }), { allow: door === 'fhir' ? 'GET, POST' : 'POST' });
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined;
    const caller = authorization ? `t:${createHash('sha256').update(authorization).digest('base64url')}` : `a:${req.socket.remoteAddress ?? ''}`;
    const wait = limiter.take(caller);
    if (wait) return refuse(doorError(grpc.status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', `more than ${o.rate.perSecond} requests per second`), { 'retry-after': String(wait) });
    const types = door === 'fhir' ? FHIR_TYPES : JSON_TYPES;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!reads && !types.includes(type)) return refuse(doorError(grpc.status.INVALID_ARGUMENT, 'UNSUPPORTED_MEDIA_TYPE', `send ${types.join(' or ')}`, { http: 415 }));
    let body = '';
    try {
      if (!reads) body = await readBody(req, o.maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) return refuse(bodyTooLarge(o.maxBodyBytes), { connection: 'close' });
      throw e;
    }
    const ctx: CallContext = { requestId, ...(authorization ? { authorization } : {}), deadline: Date.now() + o.timeoutMs };
    timings.get(res)!.ctx = ctx;
    const started = performance.now();
    if (door === 'national') {
      const a = await nationalDoor(body, ctx, backends, o.pool, o.log);
      o.log.debug({ requestId, door, http: a.http, ms: Math.round(performance.now() - started) }, 'national door');
      return send(res, a.http, a.body);
    }
    if (door === 'fhir') {
      const a = await fhirDoor(req.method ?? 'GET', p, body, ctx, backends);
      o.log.debug({ requestId, door, http: a.http, ms: Math.round(performance.now() - started) }, 'fhir door');
      return send(res, a.http, a.body, { 'content-type': FHIR_JSON });
    }
    try {
      send(res, 200, await callJsonDoor(route!, body, ctx, o.contract, backends));
      o.log.debug({ requestId, rpc: p, ms: Math.round(performance.now() - started) }, 'json door');
    } catch (e) {
      if (!isDoorError(e)) throw e;
      o.log.info({ requestId, rpc: p, status: e.status, reason: e.reason }, 'json door refused');
      fail(res, e, requestId);
    }
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      o.log.error({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'gateway failure');
      if (!res.headersSent) fail(res, doorError(grpc.status.INTERNAL, 'INTERNAL', 'internal error'), String(res.getHeader('x-request-id') ?? ''));
      else res.destroy();
    });
  };
  const server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, listener) : http.createServer(listener);
  server.headersTimeout = 20_000;
  server.requestTimeout = o.timeoutMs + 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    port,
    url: `${o.tls ? 'https' : 'http'}://${o.host}:${port}`,
    async stop() {
      clearInterval(sweeper);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      backends.close();
    },
  };
}
