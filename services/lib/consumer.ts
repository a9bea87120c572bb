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
   * Applies one event inside `tx`, the transaction that also records its id (it may hold other events
   * of the same batch). Throw PoisonMessage or a ZodError for bad messages (dead-lettered at once), an
   * AppError when a business rule rejects it (retried, then dead-lettered after `maxRejections`), an
   * UNAVAILABLE AppError or the driver's error for transient trouble (retried with back-off without
   * limit, offset not committed). Anything else (a bug: TypeError, a constraint violation) is retried
   * `maxFailures` times with back-off, then dead-lettered.
   */
  handle(tx: Tx, event: ConsumedEvent): Promise<void>;
  /**
   * Optional: applies several new events at once inside `tx` (e.g. one multi-row INSERT), with the
   * same meaning and failure rules as `handle`. When it fails, the consumer halves the batch until
   * the failing event stands alone, and applies that one with `handle`.
   */
  handleBatch?(tx: Tx, events: ConsumedEvent[]): Promise<void>;
}

export interface ConsumerOptions {
  pool: Pool;
  kafka: Kafka;
  topicPrefix: string;
  log: Logger;
  metrics?: Metrics;
  /** Business rejections (a non-transient AppError) of one event before it is dead-lettered (5). */
  maxRejections?: number;
  /** Other non-transient failures (TypeError, constraint violation …) before it is dead-lettered (5). */
  maxFailures?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Start from the earliest offset when the group has none (default true). */
  fromBeginning?: boolean;
  /** Most events applied in one transaction (default 2000; a fetched batch is about 1 MB per partition). */
  chunkSize?: number;
  /** Partitions applied at the same time, each in its own transaction (default 3). */
  partitionsConsumedConcurrently?: number;
}

type Outcome = { kind: 'applied' | 'duplicate' } | { kind: 'dead'; reason: string; attempts: number };

/** A message of a batch with its CloudEvents attributes, when it has them. */
interface Item {
  message: KafkaMessage;
  event?: ConsumedEvent;
}

/** A batch transaction failed for a reason retrying it whole will not fix. */
class BatchFailed extends Error {
  /** `at`: index of the event whose handler failed; undefined when the failure was not a handler's. */
  constructor(readonly at: number | undefined, readonly error: unknown) {
    super(String(error));
  }
}

/**
 * An idempotent consumer that applies each fetched batch of a partition in transactions of up to
 * `chunkSize` events: one statement records the batch's event ids (a repeat is skipped), the handler
 * runs per event (or `handleBatch` once over the new ones), the offset is resolved after the commit.
 * When a handler fails for any reason but a transient one, the transaction is rolled back, the events
 * before the failing one are applied again as a batch (a failed `handleBatch` is halved until the
 * failing event stands alone), and the failing event is applied alone: a poison message (undecodable, invalid, rejected
 * `maxRejections` times, failing `maxFailures` times) goes to `<topic>.dlq` with `youfu_dlq_*` headers
 * and the partition moves on. Transient failures (errors.ts `isTransient`) block the partition and
 * retry with back-off without limit, offsets uncommitted.
 */
export class EventConsumer {
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly stop$ = new AbortController();
  /** Dead letters go out one at a time: concurrent sends of the idempotent producer may reorder on retry. */
  private dlqQueue: Promise<unknown> = Promise.resolve();

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
      // Offsets are resolved by hand after each commit, never for events not yet applied.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.partitionsConsumedConcurrently ?? 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const items: Item[] = batch.messages.map((message) => ({ message, event: this.toEvent(batch.topic, message) }));
        const chunk = this.o.chunkSize ?? 2000;
        for (let i = 0; i < items.length; i += chunk) {
          if (!isRunning() || isStale() || this.stopping) return;
          await this.applyChunk(batch.topic, batch.partition, items.slice(i, i + chunk), resolveOffset, heartbeat);
          await heartbeat().catch(() => undefined);
        }
      },
    });
  }

  private get stopping(): boolean {
    return this.stop$.signal.aborted;
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  private toEvent(physicalTopic: string, message: KafkaMessage): ConsumedEvent | undefined {
    const ce = parseCe(message.headers);
    if (!ce) return undefined;
    return {
      ...ce,
      topic: physicalTopic.slice(this.o.topicPrefix.length),
      key: message.key?.toString('utf8') ?? '',
      payload: message.value ?? Buffer.alloc(0),
    };
  }

  private count(outcome: 'applied' | 'duplicate' | 'dead_lettered', n = 1): void {
    if (n) this.o.metrics?.consumed.inc({ consumer: this.spec.name, outcome }, n);
  }

  /**
   * Applies `items` (in partition order): as many as possible per transaction; an event that fails
   * its batch is applied alone (and maybe dead-lettered), then the rest continue as a batch.
   */
  private async applyChunk(
    topic: string,
    partition: number,
    items: Item[],
    resolveOffset: (offset: string) => void,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    let i = 0;
    let size = items.length;
    while (i < items.length) {
      let part = items.slice(i, i + size);
      const missing = part.findIndex((it) => !it.event);
      if (missing >= 0) part = part.slice(0, missing);
      if (part.length) {
        try {
          const r = await this.retrying(heartbeat, () => this.applyBatch(part));
          this.count('applied', r.applied);
          this.count('duplicate', part.length - r.applied);
          i += part.length;
          resolveOffset(part[part.length - 1]!.message.offset);
          size = items.length;
          continue;
        } catch (err) {
          if (!(err instanceof BatchFailed)) throw err; // stopping
          this.o.log.info({ topic, partition, at: err.at, err: String(err.error) }, 'batch not applied; isolating the failing event');
          if (err.at === undefined) {
            // Not one handler's failure (a batch handler's, or at COMMIT): halve until it stands alone.
            if (part.length > 1) {
              size = Math.ceil(part.length / 2);
              continue;
            }
          } else if (err.at > 0) {
            size = err.at; // the events before it, as a batch
            continue;
          }
        }
      }
      // items[i] alone: it has no CloudEvents headers, or it failed its batch.
      const item = items[i]!;
      const outcome = await this.applyOne(item, heartbeat);
      if (outcome.kind === 'dead') {
        await this.retrying(heartbeat, () => this.deadLetter(topic, partition, item.message, outcome.reason, outcome.attempts));
        this.count('dead_lettered');
      } else this.count(outcome.kind);
      i += 1;
      resolveOffset(item.message.offset);
      size = items.length;
    }
  }

  /**
   * One transaction for `items` (all with CloudEvents headers): records their ids, runs the handler
   * for each new one. Throws transient errors as they are (to be retried) and anything else as
   * BatchFailed. Returns how many were applied (the rest were repeats).
   */
  private async applyBatch(items: Item[]): Promise<{ applied: number }> {
    let at: number | undefined;
    try {
      return await withTx(this.o.pool, async (tx) => {
        const ids = [...new Set(items.map((it) => it.event!.id))];
        const fresh = await tx.query<{ event_id: string }>(
          `WITH cleared AS (DELETE FROM consumer_failures WHERE consumer = $1 AND event_id = ANY($2::text[]))
           INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id`,
          [this.spec.name, ids],
        );
        const todo = new Set(fresh.rows.map((r) => r.event_id));
        const events: ConsumedEvent[] = [];
        const positions: number[] = [];
        for (let k = 0; k < items.length; k++) {
          const e = items[k]!.event!;
          if (!todo.delete(e.id)) continue; // seen before, or earlier in this batch
          events.push(e);
          positions.push(k);
        }
        if (this.spec.handleBatch && events.length > 1) await this.spec.handleBatch(tx, events);
        else {
          for (let k = 0; k < events.length; k++) {
            at = positions[k];
            await this.spec.handle(tx, events[k]!);
          }
          at = undefined;
        }
        return { applied: events.length };
      });
    } catch (err) {
      if (isTransient(err)) throw err;
      throw new BatchFailed(at, err);
    }
  }

  /** Applies one event in its own transaction, retrying transient trouble and counted failures. */
  private applyOne(item: Item, heartbeat: () => Promise<void>): Promise<Outcome> {
    const event = item.event;
    if (!event) return Promise.resolve({ kind: 'dead', reason: 'MISSING_CLOUDEVENTS_HEADERS', attempts: 1 });
    const name = this.spec.name;
    return this.retrying(heartbeat, async (): Promise<Outcome> => {
      try {
        return await withTx(this.o.pool, async (tx) => {
          const fresh = await tx.query('INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [name, event.id]);
          if (!fresh.rowCount) return { kind: 'duplicate' } as const;
          await this.spec.handle(tx, event);
          await tx.query('DELETE FROM consumer_failures WHERE consumer = $1 AND event_id = $2', [name, event.id]);
          return { kind: 'applied' } as const;
        });
      } catch (err) {
        if (err instanceof PoisonMessage) return { kind: 'dead', reason: `${err.reason}: ${err.message}`, attempts: 1 };
        if (err instanceof ZodError) return { kind: 'dead', reason: `INVALID_PAYLOAD: ${err.message}`, attempts: 1 };
        if (isTransient(err)) throw err; // retried without limit
        // A business rejection, or a failure nobody expected (a bug): counted across restarts.
        const rejection = err instanceof AppError;
        const reason = rejection
          ? `${err.reason}: ${err.message}`
          : `HANDLER_ERROR: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
        const r = await this.o.pool.query<{ attempts: number }>(
          `INSERT INTO consumer_failures (consumer, event_id, attempts, last_error) VALUES ($1, $2, 1, $3)
           ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = consumer_failures.attempts + 1,
             last_error = EXCLUDED.last_error, updated_at = clock_timestamp()
           RETURNING attempts`,
          [name, event.id, reason.slice(0, 2000)],
        );
        const attempts = r.rows[0]!.attempts;
        if (attempts >= (rejection ? (this.o.maxRejections ?? 5) : (this.o.maxFailures ?? 5))) {
          // A replay after a fix starts with a fresh count.
          await this.o.pool.query('DELETE FROM consumer_failures WHERE consumer = $1 AND event_id = $2', [name, event.id]);
          return { kind: 'dead', reason, attempts };
        }
        throw err; // under its limit: retry with back-off
      }
    });
  }

  /**
   * Runs `fn` until it succeeds, backing off on failure; aborts (offset uncommitted) on stop. A
   * BatchFailed is not retried here: the caller isolates the failing event instead.
   */
  private async retrying<T>(heartbeat: () => Promise<void>, fn: () => Promise<T>): Promise<T> {
    let delay = this.o.retryInitialMs ?? 200;
    for (;;) {
      if (this.stopping) throw new Error('consumer stopping');
      try {
        return await fn();
      } catch (err) {
        if (err instanceof BatchFailed) throw err;
        this.o.metrics?.consumerRetries.inc({ consumer: this.spec.name });
        this.o.log.warn({ err: String(err), delayMs: delay }, 'event not applied; retrying');
        await sleep(delay, this.stop$.signal);
        await heartbeat().catch(() => undefined);
        delay = Math.min(delay * 2, this.o.retryMaxMs ?? 5000);
      }
    }
  }

  private deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number): Promise<void> {
    const sent = this.dlqQueue.then(() => this.sendDeadLetter(topic, partition, message, reason, attempts));
    this.dlqQueue = sent.catch(() => undefined);
    return sent;
  }

  private async sendDeadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number): Promise<void> {
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

/** Sleeps `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
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
  // Where each partition ended when the replay began: a message after that (e.g. a replayed poison
  // message dead-lettered again while the replay runs) is left for the next replay.
  const ends = new Map(target);
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
            const end = ends.get(partition);
            if (end === undefined || BigInt(message.offset) >= end) return;
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([k]) => !k.startsWith('youfu_dlq_')));
            const original = message.headers?.youfu_dlq_topic?.toString() ?? topicName(topicPrefix, topic);
            await producer.send({ topic: original, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
            replayed++;
            done.push({ topic: source, partition, offset: (BigInt(message.offset) + 1n).toString() });
            if (BigInt(message.offset) + 1n >= end) target.delete(partition);
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
