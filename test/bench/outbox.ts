/**
 * Outbox → Kafka → idempotent consumer throughput on the local stack.
 *   npx tsx test/bench/outbox.ts [--n 20000]
 * Prints the write rate (a row + its event in one transaction each); the relay's publish rate beside
 * a plain kafkajs producer's (same producer settings, batch size, messages and headers, same broker,
 * same run) and their ratio; and the consumer's applied events/s.
 */
import { parseArgs } from 'node:util';
import type { Kafka, Message } from 'kafkajs';
import { EventConsumer } from '../../services/lib/consumer';
import { DEV_PG_PASSWORD, createPool, migrateService, serviceUrl, withTx, type Pool } from '../../services/lib/db';
import { ceHeaders, createKafka, createProducer, ensureTopics, topicName } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { createMetrics } from '../../services/lib/metrics';
import { OutboxRelay, RELAY_BATCH_SIZE, enqueue } from '../../services/lib/outbox';
import { PROBE_TOPIC, probeConsumer, probeMigrations, probeRecorded } from '../fixtures/probe';
import { freshDatabase, testConfig, topicPrefix } from '../support/env';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const N = Number(values.n);
const BATCH = RELAY_BATCH_SIZE; // the relay's default, which services run with
const SOURCE = '/youfu/bench';
const log = createLogger('bench-outbox', 'error');
const fmt = (perSec: number) => `${Math.round(perSec).toLocaleString('en-US')}/s`;
const rate = (n: number, ms: number) => (n / ms) * 1000;

/** Resolves once `check` holds, polling every 5 ms (a bench may poll faster than tests do). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * What the relay does minus the outbox: the same rows as Kafka messages (key, payload, CloudEvents
 * headers) sent in batches of the relay's size, one `sendBatch` at a time, by a producer from
 * `createProducer` with acks=all. Timed from the first send to the last ack (the producer is
 * connected before, as the relay's is when `start()` returns).
 */
async function rawProducer(kafka: Kafka, topic: string, messages: Message[]): Promise<number> {
  const producer = createProducer(kafka);
  await producer.connect();
  const t = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: messages.slice(i, i + BATCH) }] });
  }
  const ms = performance.now() - t;
  await producer.disconnect();
  return rate(messages.length, ms);
}

async function outboxMessages(src: Pool): Promise<Message[]> {
  const { rows } = await src.query<{ id: string; aggregate_id: string; event_type: string; payload: Buffer; created_at: Date }>(
    'SELECT id, aggregate_id, event_type, payload, created_at FROM outbox ORDER BY seq',
  );
  return rows.map((r) => ({
    key: r.aggregate_id,
    value: r.payload,
    headers: ceHeaders({ id: r.id, type: r.event_type, source: SOURCE, subject: r.aggregate_id, time: r.created_at.toISOString() }),
  }));
}

const count = async (pool: Pool, sql: string) => (await pool.query<{ n: number }>(sql)).rows[0]!.n;

const db = await freshDatabase('bench_outbox');
const prefix = topicPrefix('bench');
try {
  await migrateService(db.adminUrl, 'probe', probeMigrations, DEV_PG_PASSWORD);
  await migrateService(db.adminUrl, 'sink', probeMigrations, DEV_PG_PASSWORD);
  const src = createPool(serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD), { schema: 'probe', application: 'bench', max: 8 });
  const sink = createPool(serviceUrl(db.adminUrl, 'sink', DEV_PG_PASSWORD), { schema: 'sink', application: 'bench', max: 4 });
  const kafka = createKafka(testConfig.YOUFU_KAFKA_BROKERS, 'bench', log);

  const aggregates = Array.from({ length: 200 }, () => crypto.randomUUID());
  let t = performance.now();
  const workers = 8;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = w; i < N; i += workers) {
        const agg = aggregates[i % aggregates.length]!;
        await withTx(src, async (tx) => {
          await tx.query('INSERT INTO probe_rows (aggregate_id, seq) VALUES ($1, $2)', [agg, i + 1]);
          await enqueue(tx, { topic: PROBE_TOPIC, aggregateId: agg, type: probeRecorded, data: { aggregateId: agg, seq: BigInt(i + 1) } });
        });
      }
    }),
  );
  const writeMs = performance.now() - t;
  console.log(`write:   ${N} transactions (row + outbox event) in ${writeMs.toFixed(0)} ms = ${fmt(rate(N, writeMs))}`);

  // Both targets exist beforehand (3 partitions each), so neither run pays for creating a topic.
  const relayTopic = topicName(prefix, PROBE_TOPIC);
  const rawTopic = topicName(prefix, 'bench.raw');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [relayTopic, rawTopic, `${relayTopic}.dlq`]);
  await admin.disconnect();

  // The raw producer runs before and after the relay; the better run is the reference.
  const messages = await outboxMessages(src);
  const raw1 = await rawProducer(kafka, rawTopic, messages);

  const metrics = createMetrics('bench-outbox');
  const published = async () => (await metrics.outboxPublished.get()).values.reduce((s, v) => s + v.value, 0);
  const relay = new OutboxRelay({ pgUrl: serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD), schema: 'probe', kafka, source: SOURCE, topicPrefix: prefix, topics: [PROBE_TOPIC], log, metrics, batchSize: BATCH });
  t = performance.now();
  await relay.start(); // topics checked, producer connected; it elects itself and starts publishing
  const startMs = performance.now() - t;
  t = performance.now();
  await until(async () => (await published()) >= N, 'the relay');
  const relayRate = rate(N, performance.now() - t);
  if ((await count(src, 'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')) !== 0) throw new Error('rows left unpublished');

  const raw2 = await rawProducer(kafka, rawTopic, messages);
  const raw = Math.max(raw1, raw2);
  console.log(
    `publish: relay ${fmt(relayRate)}  raw ${fmt(raw)}  ratio ${Math.round((relayRate / raw) * 100)}%` +
      `   (${N} events, batches of ${BATCH}, acks=all, idempotent; raw runs ${fmt(raw1)} before / ${fmt(raw2)} after; relay start-up ${startMs.toFixed(0)} ms not counted)`,
  );

  const consumer = new EventConsumer(probeConsumer('bench-sink'), { pool: sink, kafka, topicPrefix: prefix, log });
  t = performance.now();
  let first = 0;
  await consumer.start();
  await until(async () => {
    const n = await count(sink, 'SELECT count(*)::int AS n FROM probe_applied');
    if (n > 0 && !first) first = performance.now();
    return n >= N;
  }, 'the consumer');
  const consumeMs = performance.now() - t;
  console.log(
    `consume: ${N} events applied idempotently in ${consumeMs.toFixed(0)} ms = ${fmt(rate(N, consumeMs))}` +
      `   (${fmt(rate(N, performance.now() - first))} between the first and the last applied event)`,
  );
  await consumer.stop();
  const applied = await count(sink, 'SELECT count(*)::int AS n FROM probe_applied');
  const processed = await count(sink, "SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'bench-sink'");
  if (applied !== N || processed !== N) throw new Error(`applied ${applied}, processed ${processed}, expected ${N}`);
  await relay.stop();
  await src.end();
  await sink.end();
} finally {
  await db.drop();
}
