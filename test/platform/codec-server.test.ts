import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCodecServer } from '../../services/lib/codec-server';
import { AppError } from '../../services/lib/errors';
import { startCodecEndpoint } from '../../services/lib/runtime';
import { AesGcmCodec } from '../../services/lib/temporal';
import { token } from '../support/env';

const UI = 'http://localhost:8233';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const text = (s: string) => Buffer.from(s, 'base64').toString();

// Admits only 'Bearer good'; 'Bearer clerk' is a known user without the right; anything else is nobody.
async function authorize(authorization: string | undefined): Promise<void> {
  if (authorization === 'Bearer good') return;
  if (authorization === 'Bearer clerk') throw new AppError('PERMISSION_DENIED', 'NOT_STAFF', 'clerks may not read payloads');
  throw new AppError('UNAUTHENTICATED', 'UNAUTHENTICATED', 'no valid token');
}

describe('remote payload codec server', () => {
  let server: Awaited<ReturnType<typeof startCodecServer>>;
  let base = '';
  const codec = new AesGcmCodec(new Map([['k1', randomBytes(32)]]), 'k1');

  beforeAll(async () => {
    server = await startCodecServer({ host: '127.0.0.1', port: 0, codec, allowedOrigins: [UI], authorize });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = { Authorization: 'Bearer good' }) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'youfu', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('encodes, then decodes back to the original payload', async () => {
    const plain = { metadata: { encoding: b64('json/plain') }, data: b64('{"name":"张三","idCard":"110101199003074512"}') };
    const enc = await post('/encode', { payloads: [plain] });
    expect(enc.status).toBe(200);
    expect(enc.headers.get('content-type')).toContain('application/json');
    const encoded = (await enc.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(encoded.payloads).toHaveLength(1);
    expect(text(encoded.payloads[0]!.metadata.encoding!)).toBe('binary/encrypted');
    expect(text(encoded.payloads[0]!.data)).not.toContain('张三');

    const dec = await post('/decode', encoded);
    expect(dec.status).toBe(200);
    expect(await dec.json()).toEqual({ payloads: [plain] });

    // Only the last path segment counts, so a per-namespace mount works as well.
    const nsDec = await post('/youfu/decode', encoded);
    expect(await nsDec.json()).toEqual({ payloads: [plain] });
  });

  it('refuses a decode without a token (401) and from a user without the right (403)', async () => {
    const body = { payloads: [] };
    const none = await post('/decode', body, {});
    expect(none.status).toBe(401);
    const clerk = await post('/decode', body, { Authorization: 'Bearer clerk' });
    expect(clerk.status).toBe(403);
    expect(await clerk.text()).not.toContain('clerks may not'); // no internals in the answer
  });

  it('answers CORS preflights only for the allowed origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/decode`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization,content-type,x-namespace',
        },
      });
    const ok = await preflight(UI);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    const allowHeaders = ok.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['content-type', 'x-namespace', 'authorization']) expect(allowHeaders).toContain(h);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');

    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-methods')).toBeNull();
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();

    // The actual request from the UI carries the CORS headers too (also on errors), another origin is refused.
    const fromUi = await post('/decode', { payloads: [] }, { Origin: UI });
    expect(fromUi.status).toBe(401);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);
    const fromOther = await post('/decode', { payloads: [] }, { Origin: 'https://evil.example', Authorization: 'Bearer good' });
    expect(fromOther.status).toBe(403);
  });

  it('rejects bad JSON, a bad shape, bad base64 and an oversized body', async () => {
    expect((await post('/decode', '{"payloads": [')).status).toBe(400);
    expect((await post('/decode', { payloads: 'nope' })).status).toBe(400);
    expect((await post('/decode', { payloads: [{ data: 'not base64!' }] })).status).toBe(400);
    expect((await post('/decode', 'x'.repeat(5 * 1024 * 1024))).status).toBe(413);
    // Without Content-Length (chunked), the limit is enforced while reading.
    let n = 0;
    const chunk = new Uint8Array(64 * 1024).fill(120);
    const stream = new ReadableStream<Uint8Array>({ pull: (c) => (n++ < 80 ? c.enqueue(chunk) : c.close()) });
    const init = { method: 'POST', headers: { Authorization: 'Bearer good' }, body: stream, duplex: 'half' };
    expect((await fetch(`${base}/decode`, init as RequestInit)).status).toBe(413);
    expect((await post('/decode', { payloads: [] })).status).toBe(200); // and the server still serves
  });

  it('answers 400 when the codec cannot decode, 404 and 405 off the protocol', async () => {
    const forged = { metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k1') }, data: b64('x'.repeat(40)) };
    expect((await post('/decode', { payloads: [forged] })).status).toBe(400);
    expect((await post('/other', { payloads: [] })).status).toBe(404);
    expect((await fetch(`${base}/decode`)).status).toBe(405);
  });
});

describe('the codec endpoint npm start runs (platform keys, real tokens)', () => {
  const env = (extra: Record<string, string>) => ({ YOUFU_ENV: 'test', YOUFU_LOG_LEVEL: 'silent', YOUFU_CODEC_PORT: '0', ...extra });

  it('decodes a workflow payload for an auditor or approver, refuses a clerk (403) and a missing token (401)', async () => {
    const endpoint = await startCodecEndpoint({ env: env({}) });
    try {
      expect(endpoint.anonymous).toBe(false);
      const codec = AesGcmCodec.fromConfig(`dev:${Buffer.alloc(32, 7).toString('base64')}`);
      const [enc] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"张三"') }]);
      const body = JSON.stringify({ payloads: [{ metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('dev') }, data: Buffer.from(enc!.data!).toString('base64') }] });
      const decode = (authorization?: string) =>
        fetch(`http://127.0.0.1:${endpoint.port}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) }, body });
      for (const role of ['auditor', 'approver'] as const) {
        const res = await decode(`Bearer ${await token(role, 'zhao')}`);
        expect(res.status).toBe(200);
        expect(text(((await res.json()) as { payloads: { data: string }[] }).payloads[0]!.data)).toBe('"张三"');
      }
      expect((await decode(`Bearer ${await token('clerk', 'li')}`)).status).toBe(403);
      expect((await decode(`Bearer ${await token('service', 'persons')}`)).status).toBe(403);
      expect((await decode()).status).toBe(401);
      expect((await decode('Bearer not-a-token')).status).toBe(401);
    } finally {
      await endpoint.stop();
    }
  });

  it('lets the local development UI (no login) decode without a token, and refuses to start that way in production', async () => {
    const dev = await startCodecEndpoint({ env: env({ YOUFU_ENV: 'development' }) });
    await dev.stop();
    expect(dev.anonymous).toBe(true);
    const prod = { YOUFU_ENV: 'production', YOUFU_JWKS: '/etc/youfu/jwks.json', YOUFU_JWT_ISSUER: 'idp', YOUFU_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}` };
    await expect(startCodecEndpoint({ env: env({ ...prod, YOUFU_CODEC_ALLOW_ANONYMOUS: 'true' }) })).rejects.toThrow(/YOUFU_CODEC_ALLOW_ANONYMOUS: refused in production/);
  });
});
