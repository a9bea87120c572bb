import { Kafka, Partitioners, logLevel, type Admin, type IHeaders, type Producer } from 'kafkajs';
import type { Logger } from './log';

// All Kafka access goes through this module (kafkajs 2.2.4 is final; keep it replaceable).

/** A protobuf event type: its full name (CloudEvents `ce_type`) and codec. */
export interface EventType<T> {
  readonly type: string;
  encode(msg: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Binds a ts-proto message to its protobuf full name, e.g. `youfu.standards.v1.VersionPublished`. */
export function eventType<T>(fullName: string, fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }): EventType<T> {
  return { type: fullName, encode: (m) => fns.encode(m).finish(), decode: (b) => fns.decode(b) };
}

/** Physical topic name: the run's prefix (tests isolate themselves with it) + the logical name. */
export const topicName = (prefix: string, logical: string) => `${prefix}${logical}`;
export const dlqTopic = (topic: string) => `${topic}.dlq`;

export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  const toLevel: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
    [logLevel.ERROR]: 'error',
    [logLevel.WARN]: 'warn',
    [logLevel.INFO]: 'info',
    [logLevel.DEBUG]: 'debug',
  };
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, ...rest } = entry;
      log[toLevel[level] ?? 'info']({ kafka: namespace, ...rest }, message);
    },
  });
}

/** A producer that waits for all in-sync replicas and keeps per-partition order on retries. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** Creates missing topics (and waits for their leaders). Existing topics are left alone. */
export async function ensureTopics(admin: Admin, topics: string[], partitions = 3): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (!missing.length) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: String(RETENTION_MS) }, { name: 'cleanup.policy', value: 'delete' }] })),
    });
  } catch (err) {
    // Another process may have created one meanwhile; anything else is real.
    if (!(err instanceof Error && /already exists/i.test(JSON.stringify((err as { errors?: unknown }).errors ?? err.message)))) throw err;
  }
}

/** CloudEvents (Kafka binary binding) attributes of one event. */
export interface CloudEvent {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
}

/**
 * CloudEvents `dataschema` of an event type: names its protobuf message (in protos/, and under the
 * same name in the AsyncAPI document the gateway serves at /asyncapi.json).
 */
export const dataSchemaOf = (type: string) => `urn:youfu:protobuf:${type}`;

/** How long every topic keeps its events (docs/partners.md promises it): 400 days. */
export const RETENTION_MS = 400 * 24 * 3600 * 1000;

export function ceHeaders(e: CloudEvent): IHeaders {
  return {
    ce_specversion: '1.0',
    ce_id: e.id,
    ce_type: e.type,
    ce_dataschema: dataSchemaOf(e.type),
    ce_source: e.source,
    ce_subject: e.subject,
    ce_time: e.time,
    'content-type': 'application/protobuf',
  };
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

export function parseCe(headers: IHeaders | undefined): CloudEvent | undefined {
  const get = (n: string) => headerString(headers, n);
  const id = get('ce_id');
  const type = get('ce_type');
  if (!id || !type || get('ce_specversion') !== '1.0') return undefined;
  return { id, type, source: get('ce_source') ?? '', subject: get('ce_subject') ?? '', time: get('ce_time') ?? '' };
}
