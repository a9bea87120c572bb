import * as grpc from '@grpc/grpc-js';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { SignJWT } from 'jose';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeServiceService } from '../../protos/gen/youfu/devtest/v1/probe';
import { serviceUrl } from '../../services/lib/db';
import { devToken } from '../../services/lib/dev-issuer';
import { createUnaryClient } from '../../services/lib/grpc';
import { DEV_ISSUER, devKeySet, devPrivateKey } from '../../services/lib/keys';
import { startService } from '../../services/lib/runtime';
import { probeModule } from '../fixtures/probe';
import { createTemporalClient, AesGcmCodec } from '../../services/lib/temporal';
import { startWorkflowsWorker } from '../../workflows/worker';
import { createGreetActivities } from '../fixtures/greet-activities';
import { freshDatabase, serviceEnv, testConfig, topicPrefix, uniqueId } from '../support/env';
import { failure } from '../support/grpc';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
const probeMain = path.join(fixtures, 'probe-main.ts');

/** What a production deploy gets: fail-closed configuration, no HS256, no admin URL at run time. */
describe('production mode', () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let prod: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'youfu-prod-'));
    db = await freshDatabase('production');
    await devToken({ subject: 'li', role: 'clerk' }); // makes the development issuer key, which stands in for the bureau's IdP here
    await writeFile(path.join(dir, 'jwks.json'), JSON.stringify(devKeySet()));
    await writeFile(path.join(dir, 'probe.jwk.json'), JSON.stringify(await devPrivateKey('service:probe')));
    await writeFile(path.join(dir, 'workflows.jwk.json'), JSON.stringify(await devPrivateKey('service:workflows')));
    const password = randomBytes(18).toString('base64url');
    prod = {
      ...serviceEnv(db.adminUrl, topicPrefix('prod')),
      YOUFU_ENV: 'production',
      YOUFU_JWKS: path.join(dir, 'jwks.json'),
      YOUFU_JWT_ISSUER: DEV_ISSUER,
      YOUFU_SERVICE_KEY: path.join(dir, 'probe.jwk.json'),
      YOUFU_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      YOUFU_PG_PASSWORD: password,
      YOUFU_PAGE_TOKEN_KEY: randomBytes(32).toString('base64'),
      YOUFU_PG_URL: serviceUrl(db.adminUrl, 'probe', password),
    };
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the workflows worker from its production bundle (bundleWorkflowCode) when one is built', async () => {
    const bundle = path.join(dir, 'workflows-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(fixtures, 'workflows/index.ts'), logger: new DefaultLogger('WARN') });
    await writeFile(bundle, code);
    const taskQueue = uniqueId('bundle');
    const worker = await startWorkflowsWorker({
      taskQueue,
      workflowsPath: path.join(fixtures, 'does-not-exist.ts'),
      workflowBundlePath: bundle,
      env: { ...prod, YOUFU_SERVICE_KEY: path.join(dir, 'workflows.jwk.json') },
      activities: async () => createGreetActivities(new Map([['p-1', '张三']])),
    });
    const client = await createTemporalClient(testConfig, AesGcmCodec.fromConfig(prod.YOUFU_PAYLOAD_KEYS!));
    try {
      expect(worker.workflows).toBe('bundle');
      expect(await client.workflow.execute('greet', { taskQueue, workflowId: uniqueId('greet'), args: ['p-1'] })).toBe('hello 张三');
    } finally {
      await client.connection.close();
      await worker.stop();
    }
  });

  it('refuses to start without YOUFU_ENV, naming it', async () => {
    const env = { ...serviceEnv(db.adminUrl, topicPrefix('noenv')) };
    delete env.YOUFU_ENV;
    const child = spawn(process.execPath, ['--import', 'tsx', probeMain], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr).toContain('YOUFU_ENV: required');
  });

  it('refuses the HS256 secret, and an admin-less service without its own URL', async () => {
    await expect(startService(probeModule, { env: { ...prod, YOUFU_JWT_SECRET: 'x'.repeat(40) } })).rejects.toThrow(/HS256 tokens are refused in production/);
    await expect(startService(probeModule, { env: { ...prod, YOUFU_PG_URL: undefined } })).rejects.toThrow(/YOUFU_PG_URL: required in production/);
    await expect(startService(probeModule, { env: { ...prod, YOUFU_SERVICE_KEY: undefined } })).rejects.toThrow(/YOUFU_SERVICE_KEY: required in production/);
  });

  it('migrates in a separate step, then serves on its own role without the admin URL; refuses HS256 and unknown keys', async () => {
    const job = await startService(probeModule, { env: { ...prod, YOUFU_MIGRATE: 'only' } });
    await job.stop();
    const svc = await startService(probeModule, { env: { ...prod, YOUFU_PG_ADMIN_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    const client = createUnaryClient(ProbeServiceService, `127.0.0.1:${svc.grpcPort}`);
    try {
      expect(await client.whoAmI({}, await devToken({ subject: 'li', role: 'clerk' }))).toEqual({ subject: 'li', role: 'clerk' });
      expect((await svc.pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe('probe');
      const hs256 = await new SignJWT({ role: 'approver' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('youfu').setSubject('wang').setExpirationTime('1h').sign(new TextEncoder().encode('youfu-local-development-secret-not-for-production'));
      expect(await failure(client.whoAmI({}, hs256))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_INVALID' });
      // A service key that is not in the production key set (a development key made after the JWKS was written).
      const stranger = await devToken({ subject: `svc${randomBytes(3).toString('hex')}`, role: 'service' });
      expect(await failure(client.whoAmI({}, stranger))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_INVALID' });
    } finally {
      client.close();
      await svc.stop();
    }
  });
});
