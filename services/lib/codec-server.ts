import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const ALLOW_HEADERS = 'Content-Type, X-Namespace, Authorization';

// Proto3 JSON writes `bytes` as base64; parsers accept the standard and URL-safe alphabets, padded or not.
const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')
  .refine((s) => s.replace(/=+$/, '').length % 4 !== 1, 'must be base64');

/** `temporal.api.common.v1.Payloads` in proto3 JSON; a missing `payloads` is the empty list, as in protojson. */
const payloadsBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() }))
    .default([]),
});

type JsonPayload = z.output<typeof payloadsBody>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Reads the whole body, refusing (413) anything over `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      reject(new HttpError(413, 'request body too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // discard the rest; the response closes the connection
        reject(new HttpError(413, 'request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Serves Temporal's remote codec protocol so the Temporal Web UI and CLI can show (and enter) payloads that
 * `codec` encrypts: `POST …/encode` and `POST …/decode` (only the last path segment counts, so
 * `/{namespace}/decode` works too) take and answer `temporal.api.common.v1.Payloads` as proto3 JSON,
 * `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`.
 *
 * - CORS: requests and preflights from `allowedOrigins` get that origin echoed, `POST` and the headers
 *   `Content-Type, X-Namespace, Authorization`, with credentials allowed; a request carrying any other
 *   `Origin` is refused (403) and its preflight gets no CORS headers.
 * - `authorize` gets the `Authorization` header (the UI forwards the user's token when its auth is set up)
 *   before the body is read; an `AppError` of kind `UNAUTHENTICATED` answers 401, `PERMISSION_DENIED` 403,
 *   anything else 500.
 * - Bad JSON or shape 400, a body over 4 MiB 413, a codec failure 400 (as the protocol says), unknown
 *   path 404, other methods 405. Error bodies are short plain text; payloads and tokens are never logged.
 *
 * Listens on `host:port` (port 0 picks one); resolves once listening with the bound port.
 */
export async function startCodecServer(opts: {
  host: string;
  port: number;
  codec: PayloadCodec;
  allowedOrigins: string[];
  authorize: (authorization: string | undefined) => Promise<void>;
  log?: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void };
}): Promise<{ port: number; close(): Promise<void> }> {
  const allowed = new Set(opts.allowedOrigins);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<{ op?: string }> {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (origin && allowed.has(origin)) {
        res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.writeHead(204).end();
      return {};
    }
    if (origin && !allowed.has(origin)) throw new HttpError(403, 'origin not allowed');

    const op = /\/(encode|decode)$/.exec(new URL(req.url ?? '/', 'http://codec').pathname)?.[1] as 'encode' | 'decode' | undefined;
    if (!op) throw new HttpError(404, 'not found');
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpError(405, 'method not allowed');
    }

    try {
      await opts.authorize(req.headers.authorization);
    } catch (err) {
      const kind = (err as { kind?: unknown } | null)?.kind;
      if (kind === 'UNAUTHENTICATED') throw new HttpError(401, 'unauthenticated');
      if (kind === 'PERMISSION_DENIED') throw new HttpError(403, 'permission denied');
      opts.log?.warn({ err }, 'codec server: authorize failed');
      throw new HttpError(500, 'internal error');
    }

    let json: unknown;
    try {
      json = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8'));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'body is not JSON');
    }
    const body = payloadsBody.safeParse(json);
    if (!body.success) throw new HttpError(400, 'body is not a Payloads message');

    let out: Payload[];
    try {
      const input = body.data.payloads.map(fromJson);
      out = op === 'encode' ? await opts.codec.encode(input) : await opts.codec.decode(input);
    } catch (err) {
      opts.log?.warn({ err: err instanceof Error ? err.message : String(err), op }, 'codec server: codec failed');
      throw new HttpError(400, `payloads could not be ${op}d`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
    return { op };
  }

  const server = createServer((req, res) => {
    const namespace = req.headers['x-namespace'];
    handle(req, res).then(
      ({ op }) => {
        if (op) opts.log?.info({ op, namespace }, 'codec server: request served');
      },
      (err: unknown) => {
        const e = err instanceof HttpError ? err : new HttpError(500, 'internal error');
        if (!(err instanceof HttpError)) opts.log?.warn({ err }, 'codec server: request failed');
        if (res.headersSent) return void res.destroy();
        if (e.status === 413) res.setHeader('Connection', 'close');
        if (e.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
        res.writeHead(e.status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(e.message);
      },
    );
  });
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  opts.log?.info({ host: opts.host, port }, 'codec server listening');

  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
