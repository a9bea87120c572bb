import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { ZodError } from 'zod';
import { withTx, type Pool, type Tx } from './db';
import { AppError, isTransient } from './errors';
import { createProducer, dlqTopic, ensureTopics, parseCe, topicName, type CloudEvent, type EventType } from './kafka';
import type { Logger } from './log';
import type { Metrics } from './metrics';

/** A message that can never be applied (cannot decode, fails validation): dead-letter it at once. */
export class PoisonMessage extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = 'PoisonMessage';
  }
}

/** One event as a handler sees it. */
export interface ConsumedEvent extends CloudEvent {
  /** Logical topic (without the run prefix). */
  topic: string;
  key: string;
  payload: Buffer;
}

/** Decodes the payload as `t`, or throws PoisonMessage when the type or bytes do not match. */
export function decodeAs<T>(e: ConsumedEvent, t: EventType<T>): T {
  if (e.type !== t.type) throw new PoisonMessage('UNEXPECTED_TYPE', `expected ${t.type}, got ${e.type}`);
  try {
    return t.decode(e.payload);
  } catch (err) {
    throw new PoisonMessage('UNDECODABLE', `cannot decode ${e.type}: ${String(err)}`);
  }
}

export interface ConsumerSpec {
  /** Consumer name: the group id and the key of its processed-event records. */
  name: string;
  /** Logical topics. */
  topics: string[];
  /**
   * Applies one event inside `tx`, the transaction that also records its id. Throw PoisonMessage or a
   * ZodError for bad messages, an AppError when a business rule rejects it (retried, then
   * dead-lettered after `maxRejections`), anything else for transient trouble (retried forever with
   * back-off, offset not committed).
   */
  handle(tx: Tx, event: ConsumedEvent): Promise<void>;
}

export interface ConsumerOptions {
  pool: Pool;
  kafka: Kafka;
  topicPrefix: string;
  log: Logger;
  metrics?: Metrics;
  maxRejections?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Start from the earliest offset when the group has none (default true). */
  fromBeginning?: boolean;
}

type Outcome = { kind: 'applied' | 'duplicate' } | { kind: 'dead'; reason: string; attempts: number };

/**
 * An idempotent consumer: each event's id is stored in the same transaction that applies it, so a
 * redelivered event is skipped. Transient failures block the partition and retry with back-off
 * without committing the offset; poison messages go to `<topic>.dlq` with `youfu_dlq_*` headers and
 * the offset moves on.
 */
export class EventConsumer {
  private consumer?: Consumer;
  private producer?: Producer;
  private stopping = false;

  constructor(private readonly spec: ConsumerSpec, private readonly o: ConsumerOptions) {}

  async start(): Promise<void> {
    const { kafka, topicPrefix } = this.o;
    const topics = this.spec.topics.map((t) => topicName(topicPrefix, t));
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [...topics, ...topics.map(dlqTopic)]);
    } finally {
      await admin.disconnect();
    }
    this.producer = createProducer(kafka);
    await this.producer.connect();
    this.consumer = kafka.consumer({
      groupId: `${topicPrefix}${this.spec.name}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      retry: { retries: 20 },
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: this.o.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: true,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const outcome = await this.process(topic, message, heartbeat);
        this.o.metrics?.consumed.inc({ consumer: this.spec.name, outcome: outcome.kind === 'dead' ? 'dead_lettered' : outcome.kind });
        if (outcome.kind === 'dead') {
          await this.retrying(heartbeat, () => this.deadLetter(topic, partition, message, outcome.reason, outcome.attempts));
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /** Runs `fn` until it succeeds, backing off on failure; aborts (offset uncommitted) on stop. */
  private async retrying<T>(heartbeat: () => Promise<void>, fn: () => Promise<T>): Promise<T> {
    let delay = this.o.retryInitialMs ?? 200;
    for (;;) {
      if (this.stopping) throw new Error('consumer stopping');
      try {
        return await fn();
      } catch (err) {
        this.o.metrics?.consumerRetries.inc({ consumer: this.spec.name });
        this.o.log.warn({ err: String(err), delayMs: delay }, 'event not applied; retrying');
        await new Promise((r) => setTimeout(r, delay));
        await heartbeat().catch(() => undefined);
        delay = Math.min(delay * 2, this.o.retryMaxMs ?? 5000);
      }
    }
  }

  private async process(physicalTopic: string, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<Outcome> {
    const ce = parseCe(message.headers);
    if (!ce) return { kind: 'dead', reason: 'MISSING_CLOUDEVENTS_HEADERS', attempts: 1 };
    const event: ConsumedEvent = {
      ...ce,
      topic: physicalTopic.slice(this.o.topicPrefix.length),
      key: message.key?.toString('utf8') ?? '',
      payload: message.value ?? Buffer.alloc(0),
    };
    const name = this.spec.name;
    return this.retrying(heartbeat, async () => {
      try {
        return await withTx(this.o.pool, async (tx) => {
          const fresh = await tx.query(
            'INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
            [name, ce.id],
          );
          if (!fresh.rowCount) return { kind: 'duplicate' } as const;
          await this.spec.handle(tx, event);
          await tx.query('DELETE FROM consumer_failures WHERE consumer = $1 AND event_id = $2', [name, ce.id]);
          return { kind: 'applied' } as const;
        });
      } catch (err) {
        if (err instanceof PoisonMessage) return { kind: 'dead', reason: `${err.reason}: ${err.message}`, attempts: 1 } as const;
        if (err instanceof ZodError) return { kind: 'dead', reason: `INVALID_PAYLOAD: ${err.message}`, attempts: 1 } as const;
        if (err instanceof AppError && !isTransient(err)) {
          const r = await this.o.pool.query<{ attempts: number }>(
            `INSERT INTO consumer_failures (consumer, event_id, attempts, last_error) VALUES ($1, $2, 1, $3)
             ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = consumer_failures.attempts + 1,
               last_error = EXCLUDED.last_error, updated_at = clock_timestamp()
             RETURNING attempts`,
            [name, ce.id, `${err.reason}: ${err.message}`],
          );
          const attempts = r.rows[0]!.attempts;
          if (attempts >= (this.o.maxRejections ?? 5)) {
            // A replay after a fix starts with a fresh count.
            await this.o.pool.query('DELETE FROM consumer_failures WHERE consumer = $1 AND event_id = $2', [name, ce.id]);
            return { kind: 'dead', reason: `${err.reason}: ${err.message}`, attempts } as const;
          }
        }
        throw err; // transient, or a rejection still under its limit: retry with back-off
      }
    });
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number): Promise<void> {
    await this.producer!.send({
      topic: dlqTopic(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            youfu_dlq_reason: reason.slice(0, 1000),
            youfu_dlq_consumer: this.spec.name,
            youfu_dlq_attempts: String(attempts),
            youfu_dlq_topic: topic,
            youfu_dlq_partition: String(partition),
            youfu_dlq_offset: message.offset,
          },
        },
      ],
    });
    this.o.log.warn({ topic, partition, offset: message.offset, reason }, 'message dead-lettered');
  }
}

/**
 * Re-publishes every dead letter of `topic` (logical) currently in `<topic>.dlq` to the original topic,
 * without the `youfu_dlq_*` headers, e.g. after a fix. Uses its own consumer group, so each dead
 * letter is replayed once. Returns how many were replayed.
 */
export async function replayDeadLetters(kafka: Kafka, topicPrefix: string, topic: string, log: Logger): Promise<number> {
  const source = dlqTopic(topicName(topicPrefix, topic));
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${topicPrefix}youfu-dlq-replay`;
  let target: Map<number, bigint>;
  try {
    const ends = await admin.fetchTopicOffsets(source);
    const committed = await admin.fetchOffsets({ groupId, topics: [source] });
    const from = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    // A group offset of -1 means nothing replayed yet on that partition: start at its low watermark.
    const start = (p: { partition: number; low: string }) => {
      const c = from.get(p.partition);
      return c !== undefined && c >= 0n ? c : BigInt(p.low);
    };
    target = new Map(ends.filter((p) => BigInt(p.high) > start(p)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  if (!target.size) return 0;
  const producer = createProducer(kafka);
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000 });
  await producer.connect();
  await consumer.connect();
  let replayed = 0;
  const done: { topic: string; partition: number; offset: string }[] = [];
  try {
    await consumer.subscribe({ topics: [source], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([k]) => !k.startsWith('youfu_dlq_')));
            const original = message.headers?.youfu_dlq_topic?.toString() ?? topicName(topicPrefix, topic);
            await producer.send({ topic: original, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
            replayed++;
            done.push({ topic: source, partition, offset: (BigInt(message.offset) + 1n).toString() });
            const end = target.get(partition);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) target.delete(partition);
            if (!target.size) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.commitOffsets(done);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  log.info({ topic: source, replayed }, 'dead letters replayed');
  return replayed;
}
