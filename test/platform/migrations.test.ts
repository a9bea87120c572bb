import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateService } from '../../services/lib/db';
import { probeMigrations } from '../fixtures/probe';
import { freshDatabase } from '../support/env';

describe('migrations on the real database', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase('migrations');
  });
  afterAll(async () => db?.drop());

  it('creates the service role and schema, applies runtime and service migrations, and is idempotent', async () => {
    await Promise.all([migrateService(db.adminUrl, 'probe', probeMigrations), migrateService(db.adminUrl, 'probe', probeMigrations)]);
    await migrateService(db.adminUrl, 'probe', probeMigrations);

    const c = new pg.Client({ connectionString: db.adminUrl });
    await c.connect();
    try {
      const tables = await c.query<{ tablename: string; tableowner: string }>(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'probe' ORDER BY tablename",
      );
      expect(tables.rows.map((r) => r.tablename)).toEqual([
        'consumer_failures', 'migrations', 'outbox', 'probe_applied', 'probe_rows', 'processed_events', 'runtime_migrations',
      ]);
      expect(new Set(tables.rows.map((r) => r.tableowner))).toEqual(new Set(['probe']));
      const applied = await c.query('SELECT name FROM probe.migrations');
      expect(applied.rows).toEqual([{ name: '0001_probe' }]);
    } finally {
      await c.end();
    }
  });

  it('keeps services apart: one service role cannot read another service schema', async () => {
    await migrateService(db.adminUrl, 'other');
    const url = new URL(db.adminUrl);
    url.username = 'other';
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      await expect(c.query('SELECT * FROM probe.outbox')).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
  });
});
