import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventConsumer } from '../../services/lib/consumer';
import { DEV_PG_PASSWORD, createPool, migrateService, serviceUrl, withTx, type Pool } from '../../services/lib/db';
import { createKafka } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { OutboxRelay, enqueue } from '../../services/lib/outbox';
import { newAggregate, probeConsumer, probeMigrations, probeRecorded, recordProbe, PROBE_TOPIC } from '../fixtures/probe';
import { eventually, freshDatabase, testConfig, topicPrefix } from '../support/env';

const relayScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/relay-process.ts');
const log = createLogger('test-outbox', process.env.YOUFU_LOG_LEVEL ?? 'warn');

describe('transactional outbox → Kafka → idempotent consumer', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let producerPool: Pool;
  let consumerPool: Pool;
  const prefix = topicPrefix('outbox');
  const kafka = createKafka(testConfig.YOUFU_KAFKA_BROKERS, 'test-outbox', log);
  const stops: (() => Promise<unknown>)[] = [];
  const admin = kafka.admin();

  beforeAll(async () => {
    db = await freshDatabase('outbox');
    await migrateService(db.adminUrl, 'probe', probeMigrations, DEV_PG_PASSWORD);
    await migrateService(db.adminUrl, 'sink', probeMigrations, DEV_PG_PASSWORD);
    producerPool = createPool(serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD), { schema: 'probe', application: 'test' });
    consumerPool = createPool(serviceUrl(db.adminUrl, 'sink', DEV_PG_PASSWORD), { schema: 'sink', application: 'test' });
    await admin.connect();
  });
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
    await admin.disconnect();
    await producerPool?.end();
    await consumerPool?.end();
    await db?.drop();
  });

  /** Starts an outbox relay as a separate OS process; resolves once it is running. */
  function relayProcess() {
    const child = spawn(process.execPath, ['--import', 'tsx', relayScript, serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD), 'probe', prefix], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    const lines: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stops.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    return { child, lines, exited, isLeader: () => lines.includes('leader') };
  }

  it('publishes committed events exactly once per consumer, in per-aggregate order, with two relay processes', async () => {
    const a = relayProcess();
    const b = relayProcess();
    await eventually(async () => (a.lines.includes('started') && b.lines.includes('started') ? true : undefined), 60_000, 'relays started');
    const consumer = new EventConsumer(probeConsumer('sink-probe'), { pool: consumerPool, kafka, topicPrefix: prefix, log, retryInitialMs: 20 });
    await consumer.start();
    stops.push(() => consumer.stop());
    // Exactly one relay leads.
    const leader = await eventually(async () => (a.isLeader() !== b.isLeader() ? (a.isLeader() ? a : b) : undefined), 30_000, 'a single leader');
    const follower = leader === a ? b : a;

    const aggregates = Array.from({ length: 8 }, newAggregate);
    const PER = 24;
    // Writers run concurrently; every 5th transaction rolls back and must never be published.
    let committed = 0;
    const write = (from: number, to: number) =>
      Promise.all(
        aggregates.map(async (agg) => {
          for (let seq = from; seq <= to; seq++) {
            const rollback = seq % 5 === 0;
            await recordProbe(producerPool, agg, BigInt(seq), rollback).catch((e: Error) => {
              if (!rollback) throw e;
            });
            if (!rollback) committed++;
          }
        }),
      );
    await write(1, PER / 2);
    await eventually(async () => {
      const r = await consumerPool.query<{ n: number }>('SELECT count(*)::int AS n FROM probe_applied');
      return r.rows[0]!.n > 0 ? true : undefined;
    });
    // Crash the leader (SIGKILL, no clean-up): the other process takes over and publishes the rest,
    // including the second half, which only it can publish.
    leader.child.kill('SIGKILL');
    await leader.exited;
    await write(PER / 2 + 1, PER);
    await eventually(async () => (follower.isLeader() ? true : undefined), 30_000, 'the follower to take over');

    const applied = await eventually(async () => {
      const r = await consumerPool.query<{ aggregate_id: string; seq: bigint; event_id: string }>(
        'SELECT aggregate_id, seq, event_id FROM probe_applied ORDER BY applied_order',
      );
      return r.rows.length >= committed ? r.rows : undefined;
    }, 60_000, `${committed} applied events`);

    expect(applied).toHaveLength(committed);
    expect(new Set(applied.map((r) => r.event_id)).size).toBe(committed);
    for (const agg of aggregates) {
      const seqs = applied.filter((r) => r.aggregate_id === agg).map((r) => Number(r.seq));
      const expected = Array.from({ length: PER }, (_, i) => i + 1).filter((s) => s % 5 !== 0);
      expect(seqs).toEqual(expected);
    }

    // Redelivery (a relay crashed after sending, before marking) is applied once: re-arm some rows.
    const before = committed;
    await producerPool.query(`UPDATE outbox SET published_at = NULL WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT 20)`);
    await eventually(async () => {
      const r = await producerPool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
      return r.rows[0]!.n === 0 ? true : undefined;
    });
    const dupes = await eventually(async () => {
      const r = await consumerPool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'sink-probe'",
      );
      const offsets = await admin.fetchTopicOffsets(`${prefix}${PROBE_TOPIC}`);
      const m = offsets.reduce((s, p) => s + Number(p.high), 0);
      return m >= before + 20 && r.rows[0]!.n === before ? m : undefined;
    }, 30_000, 'redelivered events');
    expect(dupes).toBeGreaterThanOrEqual(before + 20);
    // Give the consumer the chance to apply anything twice; it must not.
    await eventually(async () => {
      const lag = await admin.fetchOffsets({ groupId: `${prefix}sink-probe`, topics: [`${prefix}${PROBE_TOPIC}`] });
      const committedOffsets = lag[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
      return committedOffsets >= dupes ? true : undefined;
    }, 30_000, 'consumer to catch up');
    const total = await consumerPool.query<{ n: number }>('SELECT count(*)::int AS n FROM probe_applied');
    expect(total.rows[0]!.n).toBe(committed);
  });

  it('records attempts, back-off and the last error while the broker refuses a batch, and nothing overtakes it', async () => {
    // Its own schema, so this relay does not compete with the relay processes for leadership.
    await migrateService(db.adminUrl, 'relayfail', probeMigrations, DEV_PG_PASSWORD);
    const url = serviceUrl(db.adminUrl, 'relayfail', DEV_PG_PASSWORD);
    const pool = createPool(url, { schema: 'relayfail', application: 'test' });
    stops.push(() => pool.end());
    const agg = newAggregate();
    // Kafka refuses the topic name of the first event; the second, behind it, is fine.
    const refused = await withTx(pool, (tx) => enqueue(tx, { topic: 'no such/topic', aggregateId: agg, type: probeRecorded, data: { aggregateId: agg, seq: 1n } }));
    const behind = await recordProbe(pool, agg, 2n);
    const relay = new OutboxRelay({ pgUrl: url, schema: 'relayfail', kafka, source: '/youfu/probe', topicPrefix: prefix, topics: [PROBE_TOPIC], log, pollMs: 20, maxBackoffMs: 200 });
    await relay.start();
    stops.push(() => relay.stop(1000));
    type State = { id: string; attempts: number; last_error: string | null; next_attempt_at: Date | null; published_at: Date | null };
    const rows = async () => (await pool.query<State>('SELECT id, attempts, last_error, next_attempt_at, published_at FROM outbox ORDER BY seq')).rows;
    const failing = await eventually(async () => {
      const r = await rows();
      return r.every((x) => x.attempts >= 2) ? r : undefined;
    }, 30_000, 'failed attempts recorded');
    expect(failing.map((r) => r.id)).toEqual([refused, behind]);
    for (const r of failing) {
      expect(r.published_at).toBeNull();
      expect(r.last_error).toMatch(/topic/i);
      expect(r.next_attempt_at).not.toBeNull();
    }
    // The fix: the relay publishes both, in order, and clears the error.
    await pool.query('UPDATE outbox SET topic = $1 WHERE id = $2', [PROBE_TOPIC, refused]);
    const done = await eventually(async () => {
      const r = await rows();
      return r.every((x) => x.published_at) ? r : undefined;
    }, 30_000, 'published after the fix');
    for (const r of done) {
      expect(r.last_error).toBeNull();
      expect(r.next_attempt_at).toBeNull();
    }

    // Its database session ends (and the leadership lock with it): the relay leads again and goes on.
    const killed = await pool.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE usename = current_user AND application_name LIKE '%/outbox-relay' AND pid <> pg_backend_pid()`,
    );
    expect(killed.rows.map((r) => r.ok)).toEqual([true]);
    const later = await recordProbe(pool, agg, 3n);
    await eventually(async () => {
      const r = await pool.query<{ published_at: Date | null }>('SELECT published_at FROM outbox WHERE id = $1', [later]);
      return r.rows[0]?.published_at && relay.leader ? true : undefined;
    }, 30_000, 'published after the session was lost');
  });
});
