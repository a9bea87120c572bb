import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_PG_PASSWORD, migrateService, serviceUrl } from '../../services/lib/db';
import { probeMigrations } from '../fixtures/probe';
import { freshDatabase } from '../support/env';

describe('migrations on the real database', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase('migrations');
  });
  afterAll(async () => db?.drop());

  it('creates the service role and schema, applies runtime and service migrations, and is idempotent', async () => {
    await Promise.all([migrateService(db.adminUrl, 'probe', probeMigrations, DEV_PG_PASSWORD), migrateService(db.adminUrl, 'probe', probeMigrations, DEV_PG_PASSWORD)]);
    await migrateService(db.adminUrl, 'probe', probeMigrations, DEV_PG_PASSWORD);

    const c = new pg.Client({ connectionString: db.adminUrl });
    await c.connect();
    try {
      const tables = await c.query<{ tablename: string; tableowner: string }>(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'probe' ORDER BY tablename",
      );
      expect(tables.rows.map((r) => r.tablename)).toEqual([
        'consumer_failures', 'migrations', 'outbox', 'probe_applied', 'probe_rows', 'probe_steps', 'processed_events', 'proposal_audit', 'proposals', 'runtime_migrations', 'settings',
      ]);
      expect(new Set(tables.rows.map((r) => r.tableowner))).toEqual(new Set(['probe']));
      const applied = await c.query('SELECT name FROM probe.migrations');
      expect(applied.rows).toEqual([{ name: '0001_probe' }, { name: '0002_probe_steps' }]);
    } finally {
      await c.end();
    }
  });

  it('keeps services apart: one service role cannot read another service schema', async () => {
    await migrateService(db.adminUrl, 'other', undefined, DEV_PG_PASSWORD);
    const wrong = new URL(db.adminUrl);
    wrong.username = 'other';
    wrong.password = 'wrong-password';
    await expect(new pg.Client({ connectionString: wrong.toString() }).connect()).rejects.toThrow(/password authentication failed/);
    const c = new pg.Client({ connectionString: serviceUrl(db.adminUrl, 'other', DEV_PG_PASSWORD) });
    await c.connect();
    try {
      await expect(c.query('SELECT * FROM probe.outbox')).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
  });
});
