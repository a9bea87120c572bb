import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeServiceService } from '../../protos/gen/youfu/devtest/v1/probe';
import { tokenRevoked, type Caller } from '../../services/lib/auth';
import { serviceClient } from '../../services/lib/clients';
import { devToken } from '../../services/lib/dev-issuer';
import { createUnaryClient } from '../../services/lib/grpc';
import { startService, type RunningService } from '../../services/lib/runtime';
import { createProbeModule } from '../fixtures/probe';
import { freshDatabase, serviceEnv, token, topicPrefix } from '../support/env';
import { failure } from '../support/grpc';
import { serviceSigner } from '../../services/lib/auth';
import { devPrivateKey } from '../../services/lib/keys';

const run = promisify(execFile);
const certsScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/local/certs.sh');

/** Server TLS, mTLS with a client certificate mapped to a hospital, and the jti admission hook. */
describe('TLS, mTLS and the hospital hooks', () => {
  let dir: string;
  let fingerprints: Record<string, string>;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let svc: RunningService;
  let address: string;
  const revoked = new Set<string>();
  const pem = (f: string) => readFileSync(path.join(dir, f));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'youfu-certs-'));
    const { stdout } = await run('bash', [certsScript, dir]);
    fingerprints = Object.fromEntries(stdout.trim().split('\n').map((l) => l.split(' ')).map(([name, , fp]) => [name!, fp!]));
    db = await freshDatabase('tls');
    const known = new Map<string, Caller>([[fingerprints['client-H001']!, { subject: 'his-H001', role: 'hospital', hospital: 'H001' }]]);
    svc = await startService(
      createProbeModule({
        hooks: {
          fromCertificate: async (fp) => known.get(fp),
          admit: async (c) => {
            if (c.role === 'hospital' && !c.certificate && (!c.tokenId || revoked.has(c.tokenId))) throw tokenRevoked();
          },
        },
      }),
      {
        env: serviceEnv(db.adminUrl, topicPrefix('tls'), {
          YOUFU_TLS_CERT: path.join(dir, 'server.pem'),
          YOUFU_TLS_KEY: path.join(dir, 'server.key'),
          YOUFU_TLS_CLIENT_CA: path.join(dir, 'ca.pem'),
        }),
      },
    );
    address = `127.0.0.1:${svc.grpcPort}`;
  });
  afterAll(async () => {
    await svc?.stop();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const clientWith = (cert?: string, ca = 'ca.pem') =>
    createUnaryClient(ProbeServiceService, address, grpc.credentials.createSsl(pem(ca), cert ? pem(`${cert}.key`) : null, cert ? pem(`${cert}.pem`) : null));

  it('maps a known client certificate to its hospital, without a token', async () => {
    const c = clientWith('client-H001');
    try {
      expect(await c.whoAmI({})).toEqual({ subject: 'his-H001', role: 'hospital' });
      // The certificate identifies a hospital; it does not widen what a hospital may call.
      expect(await failure(c.record({ aggregateId: crypto.randomUUID(), seq: 1n }))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'ROLE_NOT_ALLOWED' });
    } finally {
      c.close();
    }
  });

  it('refuses at the handshake a client certificate from another CA, and a client without one', async () => {
    for (const c of [clientWith('client-other'), clientWith()]) {
      try {
        const f = await failure(c.whoAmI({}, await token('clerk', 'li'), { deadlineMs: 5000 }));
        expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain(f.code);
      } finally {
        c.close();
      }
    }
  });

  it('accepts a hospital token only while its jti is admitted; a revoked one gets TOKEN_REVOKED', async () => {
    const c = clientWith('client-H001');
    try {
      const t = await devToken({ subject: 'his-9', role: 'hospital', hospital: 'H009' });
      expect(await c.whoAmI({}, t)).toEqual({ subject: 'his-9', role: 'hospital' });
      revoked.add(JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).jti);
      expect(await failure(c.whoAmI({}, t))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_REVOKED' });
    } finally {
      c.close();
    }
  });

  it('lets the service client call over mTLS with its own token, the remote status kept as it is', async () => {
    const signer = serviceSigner('adjustment', await devPrivateKey('service:adjustment'));
    const c = serviceClient(ProbeServiceService, { address, signer, tls: { ca: pem('ca.pem'), cert: pem('client-H001.pem'), key: pem('client-H001.key') } });
    try {
      expect(await c.whoAmI({})).toEqual({ subject: 'adjustment', role: 'service' });
      expect(await c.whoAmI({}, undefined, { actor: { subject: 'li', role: 'clerk' } })).toEqual({ subject: 'li', role: 'clerk' });
      const bad = await c.record({ aggregateId: 'nope', seq: 0n }, { deadline: Date.now() + 10_000, requestId: 'req-from-upstream' }, { actor: { subject: 'li', role: 'clerk' } }).then(() => undefined, (e: unknown) => e);
      expect(bad).toMatchObject({ kind: 'INVALID_ARGUMENT', reason: 'INVALID_FIELD' });
      expect((bad as { violations: { field: string }[] }).violations.map((v) => v.field).sort()).toEqual(['aggregateId', 'seq']);
      const late = await c.whoAmI({}, { deadline: Date.now() - 1, requestId: 'r' }).then(() => undefined, (e: unknown) => e);
      expect(late).toMatchObject({ kind: 'DEADLINE_EXCEEDED' });
    } finally {
      c.close();
    }
  });
});
