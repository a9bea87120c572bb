import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// One decision for the whole platform: int8 (money in fen, counters) -> bigint; date -> 'YYYY-MM-DD'
// civil-date string (never a JS Date, which would drag a time zone in); numeric -> string.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);

export type Pool = pg.Pool;
export type Tx = pg.PoolClient;
/** JSON text of a value for a jsonb parameter; bigints (money in fen) become decimal strings. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  if (text === undefined) throw new Error('the value has no JSON form');
  return text;
}

/** Anything that can run a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Password of service roles on the local development cluster (production sets YOUFU_PG_PASSWORD). */
export const DEV_PG_PASSWORD = 'youfu-local-development-password';

const IDENT = /^[a-z][a-z0-9_]{0,62}$/;

function assertIdent(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
  return name;
}

/**
 * The URL a service connects with: `base`'s server and database as the service's own role, with
 * `password` unless the URL carries one. `asRole` replaces the user (a base that is the admin URL).
 */
export function serviceUrl(base: string, role: string, password: string, asRole = true): string {
  const u = new URL(base);
  if (asRole || !u.username) {
    u.username = assertIdent(role);
    u.password = '';
  }
  if (!u.password) u.password = encodeURIComponent(password);
  return u.toString();
}

/** A pool whose sessions see only the service's own schema (search_path). */
export function createPool(url: string, opts: { schema: string; application: string; max?: number }): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.application,
    options: `-c search_path=${assertIdent(opts.schema)} -c timezone=Asia/Shanghai`,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
export async function withTx<T>(pool: Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client whose connection dies emits 'error'; unheard, that would crash the
  // process. The failing query rejects anyway; the broken client is destroyed on release.
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    if (!broken) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

const runtimeMigrations = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Creates the service's role (with `password`) and schema if missing (as the admin), then applies the runtime's own
 * migrations (outbox, processed events) and the service's migrations into that schema, owned by the
 * service role. Safe to run concurrently and repeatedly.
 */
export async function migrateService(adminUrl: string, service: string, serviceMigrationsDir: string | undefined, password: string): Promise<void> {
  const role = assertIdent(service);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Roles are cluster-wide; serialise their creation across concurrent migrators.
    await client.query('SELECT pg_advisory_lock(7241865325823000)');
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (!rowCount) await client.query(`CREATE ROLE ${role} LOGIN`);
      // The role logs in with its own password (scram); the admin URL serves only this step.
      await client.query(`ALTER ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(password)}`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${role} AUTHORIZATION ${role}`);
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE "${client.database}" TO ${role}`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(7241865325823000)');
    }
    // One migrator per schema at a time; others wait here rather than fail.
    await client.query("SELECT pg_advisory_lock(hashtextextended('youfu.migrate.' || $1, 0))", [role]);
    await client.query(`SET ROLE ${role}`);
    await client.query(`SET search_path = ${role}`);
    const common = { dbClient: client, schema: role, direction: 'up' as const, log: () => undefined, checkOrder: true, noLock: true };
    await runner({ ...common, dir: runtimeMigrations, migrationsTable: 'runtime_migrations' });
    if (serviceMigrationsDir) await runner({ ...common, dir: serviceMigrationsDir, migrationsTable: 'migrations' });
  } finally {
    await client.end();
  }
}

/** Cheap liveness probe used by the health service. */
export async function pingDb(pool: Pool): Promise<boolean> {
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
