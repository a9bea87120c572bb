import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeServiceService } from '../../protos/gen/youfu/devtest/v1/probe';
import { DEV_PG_PASSWORD, serviceUrl } from '../../services/lib/db';
import { createUnaryClient } from '../../services/lib/grpc';
import { startService } from '../../services/lib/runtime';
import { probeModule } from '../fixtures/probe';
import { eventually, freePort, freshDatabase, serviceEnv, token, topicPrefix } from '../support/env';
import { tcpProxy } from '../support/proxy';

const here = path.dirname(fileURLToPath(import.meta.url));
const healthDef = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { enums: String })) as any;

function healthOf(address: string): Promise<string> {
  const client = new healthDef.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) =>
    client.check({ service: '' }, (err: Error | null, r: { status: string }) => {
      client.close();
      return err ? reject(err) : resolve(r.status);
    }),
  );
}

describe('service lifecycle', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase('lifecycle');
  });
  afterAll(async () => db?.drop());

  it('reports NOT_SERVING while its database is unreachable, and SERVING again after', async () => {
    const url = new URL(serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD));
    const proxy = await tcpProxy(url.hostname, Number(url.port));
    url.port = String(proxy.port);
    const svc = await startService(probeModule, {
      env: serviceEnv(db.adminUrl, topicPrefix('health'), { YOUFU_PG_URL: url.toString(), YOUFU_HEALTH_INTERVAL_MS: '100' }),
    });
    try {
      const address = `127.0.0.1:${svc.grpcPort}`;
      expect(await healthOf(address)).toBe('SERVING');
      await proxy.cut();
      await eventually(async () => ((await healthOf(address)) === 'NOT_SERVING' ? true : undefined), 20_000, 'NOT_SERVING');
      await proxy.restore();
      await eventually(async () => ((await healthOf(address)) === 'SERVING' ? true : undefined), 20_000, 'SERVING again');
    } finally {
      await svc.stop();
      await proxy.close();
    }
  });

  it('turns NOT_SERVING on the first call that finds the database gone, not at the next probe', async () => {
    const url = new URL(serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD));
    const proxy = await tcpProxy(url.hostname, Number(url.port));
    url.port = String(proxy.port);
    // A probe interval far beyond the test: only the failed call can change health.
    const svc = await startService(probeModule, { env: serviceEnv(db.adminUrl, topicPrefix('health-now'), { YOUFU_PG_URL: url.toString(), YOUFU_HEALTH_INTERVAL_MS: '3600000' }) });
    const client = createUnaryClient(ProbeServiceService, `127.0.0.1:${svc.grpcPort}`);
    try {
      const address = `127.0.0.1:${svc.grpcPort}`;
      expect(await healthOf(address)).toBe('SERVING');
      await proxy.cut();
      const f = await client.record({ aggregateId: crypto.randomUUID(), seq: 1n }, await token('clerk')).then(() => undefined, (e: grpc.ServiceError) => e.code);
      expect(f).toBe(grpc.status.UNAVAILABLE);
      await eventually(async () => ((await healthOf(address)) === 'NOT_SERVING' ? true : undefined), 10_000, 'NOT_SERVING');
    } finally {
      client.close();
      await svc.stop();
      await proxy.close();
    }
  });

  it('stops gracefully on SIGTERM: exits 0 with every committed event published', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, '../fixtures/probe-main.ts')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...serviceEnv(db.adminUrl, topicPrefix('sigterm'), { YOUFU_GRPC_PORT: String(port), YOUFU_METRICS_PORT: '0' }) },
    });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const address = `127.0.0.1:${port}`;
    await eventually(async () => ((await healthOf(address)) === 'SERVING' ? true : undefined), 60_000, 'the service to start');
    const client = createUnaryClient(ProbeServiceService, address);
    const clerk = await token('clerk');
    for (let i = 1; i <= 20; i++) await client.record({ aggregateId: crypto.randomUUID(), seq: BigInt(i) }, clerk);
    client.close();
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const c = new pg.Client({ connectionString: db.adminUrl });
    await c.connect();
    try {
      const r = await c.query<{ pending: number; total: number }>(
        'SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending, count(*)::int AS total FROM probe.outbox',
      );
      expect(r.rows[0]).toEqual({ pending: 0, total: 20 });
    } finally {
      await c.end();
    }
  });
});
