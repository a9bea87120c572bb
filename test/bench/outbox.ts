/**
 * Outbox → Kafka → idempotent consumer throughput on the local stack.
 *   npx tsx test/bench/outbox.ts [--n 20000]
 * Prints write rate (rows + events in one transaction each), publish-to-applied time, and events/s.
 */
import { parseArgs } from 'node:util';
import { EventConsumer } from '../../services/lib/consumer';
import { DEV_PG_PASSWORD, createPool, migrateService, serviceUrl, withTx } from '../../services/lib/db';
import { createKafka } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { OutboxRelay, enqueue } from '../../services/lib/outbox';
import { PROBE_TOPIC, probeConsumer, probeMigrations, probeRecorded } from '../fixtures/probe';
import { eventually, freshDatabase, testConfig, topicPrefix } from '../support/env';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const N = Number(values.n);
const log = createLogger('bench-outbox', 'error');
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
  console.log(`write:   ${N} transactions (row + outbox event) in ${writeMs.toFixed(0)} ms = ${((N / writeMs) * 1000).toFixed(0)} tx/s`);

  const relay = new OutboxRelay({ pgUrl: serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD), schema: 'probe', kafka, source: '/youfu/bench', topicPrefix: prefix, topics: [PROBE_TOPIC], log, batchSize: 500, pollMs: 20 });
  const consumer = new EventConsumer(probeConsumer('bench-sink'), { pool: sink, kafka, topicPrefix: prefix, log });
  t = performance.now();
  await relay.start();
  await eventually(async () => {
    const r = await src.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
    return r.rows[0]!.n === 0 ? true : undefined;
  }, 600_000, 'publish');
  const publishMs = performance.now() - t;
  console.log(`publish: ${N} events to Kafka (acks=all) in ${publishMs.toFixed(0)} ms = ${((N / publishMs) * 1000).toFixed(0)} events/s`);
  t = performance.now();
  await consumer.start();
  await eventually(async () => {
    const r = await sink.query<{ n: number }>('SELECT count(*)::int AS n FROM probe_applied');
    return r.rows[0]!.n >= N ? true : undefined;
  }, 600_000, 'consume');
  const consumeMs = performance.now() - t;
  console.log(`consume: ${N} events applied idempotently in ${consumeMs.toFixed(0)} ms = ${((N / consumeMs) * 1000).toFixed(0)} events/s`);
  await consumer.stop();
  await relay.stop();
  await src.end();
  await sink.end();
} finally {
  await db.drop();
}
