import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventConsumer, replayDeadLetters } from '../../services/lib/consumer';
import { DEV_PG_PASSWORD, createPool, migrateService, serviceUrl, type Pool } from '../../services/lib/db';
import { ceHeaders, createKafka, createProducer, headerString } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { createMetrics } from '../../services/lib/metrics';
import { newAggregate, probeConsumer, probeMigrations, probeRecorded, PROBE_TOPIC } from '../fixtures/probe';
import { eventually, freshDatabase, testConfig, topicPrefix } from '../support/env';
import { tcpProxy } from '../support/proxy';

const log = createLogger('test-consumer', process.env.YOUFU_LOG_LEVEL ?? 'warn');
const metrics = createMetrics('test-consumer');

describe('consumer failures: poison messages, rejections, database outage', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  const prefix = topicPrefix('consumer');
  const topic = `${prefix}${PROBE_TOPIC}`;
  const kafka = createKafka(testConfig.YOUFU_KAFKA_BROKERS, 'test-consumer', log);
  const producer = createProducer(kafka);
  const rejected = newAggregate();
  const crashing = newAggregate();
  const rules: { reject?: string; crash?: string } = { reject: rejected, crash: crashing };
  let poisonId = '';
  let consumer: EventConsumer;
  let direct: Pool; // assertions read PostgreSQL directly, not through the proxy the test cuts
  const dead: KafkaMessage[] = [];
  const dlqReader = kafka.consumer({ groupId: `${prefix}dlq-reader` });

  beforeAll(async () => {
    db = await freshDatabase('consumer');
    await migrateService(db.adminUrl, 'sink', probeMigrations, DEV_PG_PASSWORD);
    const url = new URL(serviceUrl(db.adminUrl, 'sink', DEV_PG_PASSWORD));
    proxy = await tcpProxy(url.hostname, Number(url.port));
    url.port = String(proxy.port);
    // The consumer reaches PostgreSQL only through the proxy, so the test can cut its network.
    pool = createPool(url.toString(), { schema: 'sink', application: 'test' });
    direct = createPool(serviceUrl(db.adminUrl, 'sink', DEV_PG_PASSWORD), { schema: 'sink', application: 'test-assert' });
    consumer = new EventConsumer(probeConsumer('sink-probe', rules), {
      pool, kafka, topicPrefix: prefix, log, metrics, retryInitialMs: 20, retryMaxMs: 200,
    });
    await consumer.start();
    await producer.connect();
    await dlqReader.connect();
    await dlqReader.subscribe({ topics: [`${topic}.dlq`], fromBeginning: true });
    await dlqReader.run({ eachMessage: async ({ message }) => void dead.push(message) });
  });
  afterAll(async () => {
    await dlqReader.disconnect();
    await consumer?.stop();
    await producer.disconnect();
    await pool?.end();
    await direct?.end();
    await proxy?.close();
    await db?.drop();
  });

  let n = 0;
  /** One CloudEvent as a Kafka message; `value` replaces the payload, `id` the event id, `key` the key. */
  const message = (aggregateId: string, seq: number, o: { value?: Buffer; id?: string; key?: string } = {}) => {
    const id = o.id ?? `evt-${++n}-${aggregateId}`;
    return {
      id,
      key: o.key ?? aggregateId,
      value: o.value ?? Buffer.from(probeRecorded.encode({ aggregateId, seq: BigInt(seq) })),
      headers: ceHeaders({ id, type: probeRecorded.type, source: '/youfu/test', subject: aggregateId, time: new Date().toISOString() }),
    };
  };
  /** Produces `messages` in one request: one record batch, so the consumer fetches them as one batch. */
  const sendAll = async (messages: ReturnType<typeof message>[]) => {
    await producer.send({ topic, acks: -1, messages: messages.map(({ id: _, ...m }) => m) });
    return messages.map((m) => m.id);
  };
  const send = async (aggregateId: string, seq: number, value?: Buffer) => (await sendAll([message(aggregateId, seq, { value })]))[0]!;
  const retries = async () => (await metrics.consumerRetries.get()).values.reduce((a, v) => a + v.value, 0);
  const appliedCount = async (agg: string) =>
    (await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM probe_applied WHERE aggregate_id = $1', [agg])).rows[0]!.n;
  const appliedSeqs = async (agg: string) =>
    (await direct.query<{ seq: bigint }>('SELECT seq FROM probe_applied WHERE aggregate_id = $1 ORDER BY applied_order', [agg])).rows.map((r) => Number(r.seq));
  const deadLetter = (id: string) => eventually(async () => dead.find((m) => headerString(m.headers, 'ce_id') === id), 30_000, `dead letter ${id}`);

  it('sends an undecodable message to the DLQ with its reason and moves on', async () => {
    const agg = newAggregate();
    poisonId = await send(agg, 1, Buffer.from([0xff, 0xff, 0xff, 0x01]));
    await send(agg, 2);
    await eventually(async () => ((await appliedCount(agg)) === 1 ? true : undefined), 30_000, 'the good message');
    const msg = await eventually(async () => dead.find((m) => headerString(m.headers, 'ce_id') === poisonId), 30_000, 'dead letter');
    expect(headerString(msg.headers, 'youfu_dlq_reason')).toMatch(/^UNDECODABLE/);
    expect(headerString(msg.headers, 'youfu_dlq_consumer')).toBe('sink-probe');
    expect(headerString(msg.headers, 'youfu_dlq_attempts')).toBe('1');
  });

  it('dead-letters a message a business rule rejects 5 times, then replays it after a fix', async () => {
    const id = await send(rejected, 1);
    const msg = await eventually(async () => dead.find((m) => headerString(m.headers, 'ce_id') === id), 30_000, 'rejected dead letter');
    expect(headerString(msg.headers, 'youfu_dlq_reason')).toMatch(/^PROBE_REJECTED/);
    expect(headerString(msg.headers, 'youfu_dlq_attempts')).toBe('5');
    expect(await appliedCount(rejected)).toBe(0);

    // "Fix" the rule (the running consumer is not restarted), then replay the dead letters.
    rules.reject = undefined;
    const replayed = await replayDeadLetters(kafka, prefix, PROBE_TOPIC, log);
    expect(replayed).toBe(2); // the poison message and the rejected one
    await eventually(async () => ((await appliedCount(rejected)) === 1 ? true : undefined), 30_000, 'replayed event applied');
    // The undecodable message is still poison: it comes back to the DLQ, and only it replays next time.
    const poisonLetters = () => dead.filter((m) => headerString(m.headers, 'ce_id') === poisonId).length;
    await eventually(async () => (poisonLetters() === 2 ? true : undefined), 30_000, 'poison dead-lettered again');
    expect(await replayDeadLetters(kafka, prefix, PROBE_TOPIC, log)).toBe(1);
    expect(await appliedCount(rejected)).toBe(1);
  });

  it('applies a batch around a poison message and dead-letters only that one', async () => {
    const agg = newAggregate();
    const batch = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((seq) => message(agg, seq, seq === 5 ? { value: Buffer.from([0xff, 0xff, 0xff, 0x01]) } : {}));
    const ids = await sendAll(batch);
    await eventually(async () => ((await appliedCount(agg)) === 8 ? true : undefined), 30_000, 'the rest of the batch');
    expect(await appliedSeqs(agg)).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
    const msg = await deadLetter(ids[4]!);
    expect(headerString(msg.headers, 'youfu_dlq_reason')).toMatch(/^UNDECODABLE/);
    expect(headerString(msg.headers, 'youfu_dlq_attempts')).toBe('1');
    expect(dead.filter((m) => ids.includes(headerString(m.headers, 'ce_id') ?? ''))).toHaveLength(1);
  });

  it('applies a repeated delivery once, within a batch and across batches', async () => {
    const agg = newAggregate();
    const once = message(agg, 1);
    await sendAll([once, message(agg, 2), once, once]);
    await sendAll([once]);
    await send(agg, 3); // same key, same partition: once it is applied, every repeat before it was seen
    await eventually(async () => ((await appliedSeqs(agg)).includes(3) ? true : undefined), 30_000, 'the marker event');
    expect(await appliedSeqs(agg)).toEqual([1, 2, 3]);
    const processed = await direct.query<{ n: number }>("SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'sink-probe' AND event_id = $1", [once.id]);
    expect(processed.rows[0]!.n).toBe(1);
  });

  it('dead-letters an event whose handler keeps throwing a TypeError after 5 attempts, and the partition moves on', async () => {
    const after = newAggregate();
    // Both on the crashing aggregate's key, so the second waits behind the first on one partition.
    const [bad, next] = await sendAll([message(crashing, 1), message(after, 1, { key: crashing })]);
    const msg = await deadLetter(bad!);
    expect(headerString(msg.headers, 'youfu_dlq_reason')).toMatch(/^HANDLER_ERROR: TypeError: Cannot read properties of undefined/);
    expect(headerString(msg.headers, 'youfu_dlq_consumer')).toBe('sink-probe');
    expect(headerString(msg.headers, 'youfu_dlq_attempts')).toBe('5');
    await eventually(async () => ((await appliedCount(after)) === 1 ? true : undefined), 30_000, 'the event behind it');
    expect(await appliedCount(crashing)).toBe(0);
    expect(dead.some((m) => headerString(m.headers, 'ce_id') === next)).toBe(false);
    // Its failure count is cleared, so a replay after a fix starts afresh.
    const left = await direct.query("SELECT 1 FROM consumer_failures WHERE consumer = 'sink-probe' AND event_id = $1", [bad]);
    expect(left.rowCount).toBe(0);
  });

  it('retries through a database outage without dead-lettering or losing anything', async () => {
    const agg = newAggregate();
    await proxy.cut();
    const ids: string[] = [];
    for (let seq = 1; seq <= 10; seq++) ids.push(await send(agg, seq));
    // Wait until the consumer has observably failed against the dead network at least once.
    const before = await retries();
    await eventually(async () => ((await retries()) > before + 1 ? true : undefined), 30_000, 'consumer retries');
    await proxy.restore();
    await eventually(async () => ((await appliedCount(agg)) === 10 ? true : undefined), 60_000, 'all applied after outage');
    const seqs = (await direct.query<{ seq: bigint }>('SELECT seq FROM probe_applied WHERE aggregate_id = $1 ORDER BY applied_order', [agg])).rows;
    expect(seqs.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(dead.filter((m) => ids.includes(headerString(m.headers, 'ce_id') ?? ''))).toEqual([]);
  });

});
