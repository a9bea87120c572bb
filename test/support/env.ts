import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import type { Role } from '../../services/lib/auth';
import { devToken } from '../../services/lib/dev-issuer';
import { loadConfig } from '../../services/lib/config';

/** The local stack's settings (deploy/local), overridable by the usual YOUFU_* variables. */
export const testConfig = loadConfig({});

const suffix = () => randomBytes(4).toString('hex');

/**
 * A fresh database on the shared local PostgreSQL for one test file. Returns its admin URL and a
 * drop function (call it in afterAll).
 */
export async function freshDatabase(label: string): Promise<{ adminUrl: string; drop: () => Promise<void> }> {
  const name = `t_${label.replace(/[^a-z0-9]/g, '_')}_${suffix()}`;
  const admin = new pg.Client({ connectionString: testConfig.YOUFU_PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(testConfig.YOUFU_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    adminUrl: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: testConfig.YOUFU_PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A topic prefix unique to this test file's run, so runs never see each other's events. */
export const topicPrefix = (label: string) => `t.${label}.${suffix()}.`;

export const uniqueId = (label: string) => `${label}-${suffix()}`;

/**
 * A bearer token for tests from the development keyring: staff and hospitals from the development
 * issuer, `service` tokens signed by that service's own development key.
 */
export function token(role: Role, subject = `${role}-1`, extra: { hospital?: string; actor?: { subject: string; role: Role } } = {}) {
  return devToken({ subject, role, ...extra });
}

/** Environment for a service started inside a test: own database, topic prefix, free ports. */
export function serviceEnv(adminUrl: string, prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    YOUFU_ENV: 'test',
    YOUFU_LOG_LEVEL: process.env.YOUFU_LOG_LEVEL ?? 'warn',
    YOUFU_PG_ADMIN_URL: adminUrl,
    YOUFU_TOPIC_PREFIX: prefix,
    YOUFU_GRPC_PORT: '0',
    YOUFU_METRICS_PORT: '0',
    YOUFU_KAFKA_BROKERS: testConfig.YOUFU_KAFKA_BROKERS.join(','),
    YOUFU_TEMPORAL_ADDRESS: testConfig.YOUFU_TEMPORAL_ADDRESS,
    YOUFU_TEMPORAL_NAMESPACE: testConfig.YOUFU_TEMPORAL_NAMESPACE,
    ...extra,
  };
}

/** Polls `check` until it returns a value (not undefined) — waiting on state, never a fixed sleep. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A free TCP port on 127.0.0.1 (for a service started in another process on a port the test must know). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
