import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import { ceHeaders, createProducer, ensureTopics, topicName, type EventType } from './kafka';
import type { Queryable } from './db';
import type { Logger } from './log';
import type { Metrics } from './metrics';

/** An event to publish once the surrounding transaction commits. */
export interface OutboxEvent<T> {
  /** Logical topic, e.g. `youfu.persons.v1`. */
  topic: string;
  /** Aggregate id: the Kafka key and CloudEvents subject (pseudonymous, never a national ID). */
  aggregateId: string;
  type: EventType<T>;
  data: T;
}

/**
 * Writes an event into the outbox inside the caller's transaction `tx`. It is published only if that
 * transaction commits. A transaction-scoped advisory lock on the aggregate makes concurrent writers of
 * one aggregate take outbox sequence numbers in commit order, so the relay keeps their order.
 * Returns the event id (`ce_id`).
 */
export async function enqueue<T>(tx: Queryable, e: OutboxEvent<T>): Promise<string> {
  const id = randomUUID();
  await tx.query(
    `WITH l AS (SELECT pg_advisory_xact_lock(hashtextextended($3, 0)))
     INSERT INTO outbox (id, topic, aggregate_id, event_type, payload) SELECT $1, $2, $3, $4, $5 FROM l`,
    [id, e.topic, e.aggregateId, e.type.type, Buffer.from(e.type.encode(e.data))],
  );
  return id;
}

/**
 * Writes events of existing aggregates in one statement, in array order, each aggregate's lock
 * taken as `enqueue` takes it (in sorted order, so two writers of overlapping sets cannot deadlock).
 */
export async function enqueueMany<T>(tx: Queryable, topic: string, type: EventType<T>, items: readonly { aggregateId: string; data: T }[]): Promise<void> {
  if (!items.length) return;
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(a, 0)) FROM (SELECT DISTINCT unnest($1::text[]) AS a ORDER BY 1) x', [items.map((e) => e.aggregateId)]);
  await enqueueNewAggregates(tx, topic, type, items);
}

/**
 * Writes the events of many aggregates created in the caller's transaction, in array order, with
 * one statement per 5,000 events (bulk imports). It takes no per-aggregate lock: nobody else can
 * write events of aggregates that are not committed yet, and a lock each would exhaust the lock
 * table on a 100,000-record import. Use `enqueue` for aggregates that already exist.
 */
export async function enqueueNewAggregates<T>(
  tx: Queryable,
  topic: string,
  type: EventType<T>,
  items: readonly { aggregateId: string; data: T }[],
): Promise<void> {
  const CHUNK = 5000;
  for (let i = 0; i < items.length; i += CHUNK) {
    const chunk = items.slice(i, i + CHUNK);
    await tx.query(
      `INSERT INTO outbox (id, topic, aggregate_id, event_type, payload)
       SELECT id, $1, aggregate_id, $2, payload
         FROM unnest($3::uuid[], $4::text[], $5::bytea[]) WITH ORDINALITY AS x(id, aggregate_id, payload, n)
        ORDER BY n`,
      [topic, type.type, chunk.map(() => randomUUID()), chunk.map((e) => e.aggregateId), chunk.map((e) => Buffer.from(type.encode(e.data)))],
    );
  }
}

export interface RelayOptions {
  /** Connection URL of the service (its role and schema). */
  pgUrl: string;
  schema: string;
  kafka: Kafka;
  /** CloudEvents source, `/youfu/<service>`. */
  source: string;
  topicPrefix: string;
  /** Logical topics this service publishes (created at start). */
  topics: string[];
  log: Logger;
  metrics?: Metrics;
  /** Most rows published in one `sendBatch` (default `RELAY_BATCH_SIZE`). */
  batchSize?: number;
  /** Most payload + key bytes in one `sendBatch` (default 900 KB, under the broker's 1 MB batch limit). */
  maxBatchBytes?: number;
  /** Pause after a batch that was not full, before looking for new rows (ms). */
  pollMs?: number;
  maxBackoffMs?: number;
}

/** Rows per batch when `RelayOptions.batchSize` is not given. */
export const RELAY_BATCH_SIZE = 1000;

interface Row {
  seq: bigint;
  id: string;
  topic: string;
  aggregate_id: string;
  event_type: string;
  payload: Buffer;
  created_at: Date;
}

/** Sleeps `ms`, or less if `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

const MARK_SENT = `UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL
                    WHERE seq = ANY($1::bigint[]) AND published_at IS NULL`;

/**
 * Marks the rows `$1` sent and reads the next unpublished rows in `seq` order, in one round trip. The
 * SELECT sees the table as it was before the UPDATE (one snapshot per statement), so it also skips
 * `$2`: the rows just marked and the rows still being sent.
 */
const MARK_AND_FETCH = `WITH marked AS (${MARK_SENT})
  SELECT seq, id, topic, aggregate_id, event_type, payload, created_at FROM outbox
   WHERE published_at IS NULL AND seq <> ALL($2::bigint[])
   ORDER BY seq LIMIT $3`;

/**
 * Publishes outbox rows to Kafka. Any number of relays may run for one service: they elect a leader
 * with a session-level PostgreSQL advisory lock, and only the leader publishes, strictly in `seq`
 * order, with acks from all in-sync replicas. A failed batch is retried from its head with
 * exponential back-off (attempts, next attempt and last error are recorded on the rows), so one
 * aggregate's events never overtake each other. If the leader dies its lock goes with its session and
 * another relay takes over; delivery is at-least-once and consumers de-duplicate by `ce_id`.
 *
 * While a full batch is in flight (one `sendBatch` over all topics; sends never overlap, so the
 * idempotent producer keeps partition order on retries) the same round trip to PostgreSQL marks the
 * previous batch sent and reads the next one, so the relay waits on the broker, not on the database.
 * It pauses `pollMs` only after a batch that was not full.
 */
export class OutboxRelay {
  private producer?: Producer;
  private loop?: Promise<void>;
  private readonly stop$ = new AbortController();
  private leaderClient?: pg.Client;
  private isLeader = false;
  /** Seqs of the batch being sent; a failure is recorded on them. */
  private head: bigint[] = [];
  /** Seqs sent to Kafka but not yet marked published (marked on the next round trip). */
  private unmarked: bigint[] = [];

  constructor(private readonly o: RelayOptions) {}

  /** Leadership lock key: one per service schema. */
  private get lockKey(): string {
    return `youfu.outbox.${this.o.schema}`;
  }

  get leader(): boolean {
    return this.isLeader;
  }

  async start(): Promise<void> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, this.o.topics.map((t) => topicName(this.o.topicPrefix, t)));
    } finally {
      await admin.disconnect();
    }
    this.producer = createProducer(this.o.kafka);
    await this.producer.connect();
    this.loop = this.run();
  }

  /** Stops after publishing what is pending (bounded by `deadlineMs`), then releases the lock. */
  stop(deadlineMs = 5000): Promise<void> {
    return (this.stopped ??= this.doStop(deadlineMs));
  }

  private stopped?: Promise<void>;

  private async doStop(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.isLeader && Date.now() < until && (await this.pending()) > 0) await sleep(50);
    this.stop$.abort();
    await this.loop;
    await this.producer?.disconnect();
  }

  private async pending(): Promise<number> {
    try {
      const r = await this.leaderClient?.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
      return (r?.rows[0] as { n: number } | undefined)?.n ?? 0;
    } catch {
      return 0;
    }
  }

  private async run(): Promise<void> {
    const { log, pollMs = 100 } = this.o;
    let backoff = 0;
    while (!this.stop$.signal.aborted) {
      try {
        if (!this.isLeader) {
          await this.tryLead();
          if (!this.isLeader) {
            await sleep(pollMs * 5, this.stop$.signal);
            continue;
          }
        }
        await this.drain(this.leaderClient!);
        backoff = 0;
        await sleep(pollMs, this.stop$.signal);
      } catch (err) {
        this.o.metrics?.outboxFailures.inc();
        backoff = Math.min(backoff ? backoff * 2 : 200, this.o.maxBackoffMs ?? 10_000);
        log.warn({ err: String(err), backoffMs: backoff }, 'outbox publish failed; retrying');
        await this.recordFailure(err, backoff).catch(() => this.dropLeadership());
        await sleep(backoff, this.stop$.signal);
      }
    }
    await this.dropLeadership();
  }

  private async tryLead(): Promise<void> {
    const client = new pg.Client({ connectionString: this.o.pgUrl, application_name: `${this.o.source}/outbox-relay` });
    client.on('error', () => void this.dropLeadership());
    await client.connect();
    await client.query(`SET search_path = ${this.o.schema}`);
    // The relay reads the head of the partial index in seq order. Without fresh statistics (a backlog
    // that arrived since the last ANALYZE) the planner would rather bitmap-scan and sort every
    // unpublished row for each batch; this session runs nothing but the relay's statements.
    await client.query('SET enable_bitmapscan = off');
    const r = await client.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [this.lockKey]);
    if ((r.rows[0] as { ok: boolean }).ok) {
      this.leaderClient = client;
      this.isLeader = true;
      this.o.metrics?.outboxLeader.set(1);
      this.o.log.info('outbox relay is leader');
    } else {
      await client.end();
    }
  }

  private async dropLeadership(): Promise<void> {
    const c = this.leaderClient;
    this.leaderClient = undefined;
    this.isLeader = false;
    // Whoever leads next publishes these again (at-least-once; consumers skip repeats).
    this.head = [];
    this.unmarked = [];
    this.o.metrics?.outboxLeader.set(0);
    await c?.end().catch(() => undefined);
  }

  /** Publishes until a batch is not full. Throws on the first failure (the caller backs off). */
  private async drain(client: pg.Client): Promise<void> {
    const limit = this.o.batchSize ?? RELAY_BATCH_SIZE;
    this.head = [];
    // Rows sent before an earlier failure are marked first, in the same round trip as the first read.
    let rows = await this.markAndFetch(client, this.unmarked, this.unmarked, limit);
    this.o.metrics?.outboxPublished.inc(this.unmarked.length);
    this.unmarked = [];
    while (rows.length) {
      const batch = this.cut(rows);
      const full = rows.length >= limit || batch.length < rows.length;
      this.head = batch.map((r) => r.seq);
      const send = this.send(batch);
      if (!full) {
        await send;
        this.sent();
        await client.query(MARK_SENT, [this.unmarked]);
        this.o.metrics?.outboxPublished.inc(this.unmarked.length);
        this.unmarked = [];
        return;
      }
      const marking = this.unmarked;
      const [sent, next] = await Promise.allSettled([send, this.markAndFetch(client, marking, [...marking, ...this.head], limit)]);
      if (next.status === 'fulfilled') {
        this.o.metrics?.outboxPublished.inc(marking.length);
        this.unmarked = [];
      }
      if (sent.status === 'rejected') throw sent.reason;
      this.sent();
      if (next.status === 'rejected') throw next.reason;
      rows = next.value;
    }
    if (this.unmarked.length) {
      await client.query(MARK_SENT, [this.unmarked]);
      this.o.metrics?.outboxPublished.inc(this.unmarked.length);
      this.unmarked = [];
    }
  }

  /** The head batch went out: its rows now wait to be marked. */
  private sent(): void {
    this.unmarked.push(...this.head);
    this.head = [];
  }

  private async markAndFetch(client: pg.Client, mark: bigint[], skip: bigint[], limit: number): Promise<Row[]> {
    return (await client.query<Row>(MARK_AND_FETCH, [mark, skip, limit])).rows;
  }

  /** The longest prefix of `rows` within `maxBatchBytes` (at least one row). */
  private cut(rows: Row[]): Row[] {
    const max = this.o.maxBatchBytes ?? 900_000;
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      bytes += rows[i]!.payload.length + rows[i]!.aggregate_id.length + 300; // + CloudEvents headers
      if (bytes > max && i > 0) return rows.slice(0, i);
    }
    return rows;
  }

  private async send(rows: Row[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: Buffer; headers: ReturnType<typeof ceHeaders> }[]>();
    for (const r of rows) {
      const topic = topicName(this.o.topicPrefix, r.topic);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push({
        key: r.aggregate_id,
        value: r.payload,
        headers: ceHeaders({ id: r.id, type: r.event_type, source: this.o.source, subject: r.aggregate_id, time: r.created_at.toISOString() }),
      });
    }
    await this.producer!.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }

  /**
   * Records the failure on the batch that was being sent, if any. Either way it uses the leader's
   * connection, so a lost one fails here and the caller gives up the leadership (not relying on the
   * client's 'error' event alone).
   */
  private async recordFailure(err: unknown, backoffMs: number): Promise<void> {
    const client = this.leaderClient;
    if (!client) return;
    if (!this.head.length) {
      await client.query('SELECT 1');
      return;
    }
    await client.query(
      `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
              next_attempt_at = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
        WHERE seq = ANY($1)`,
      [this.head, String(err).slice(0, 2000), backoffMs],
    );
  }
}
