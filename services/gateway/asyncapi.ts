/**
 * The event contract for partners: an AsyncAPI 3.0 document generated from the topics declared in
 * services/lib/contracts.ts and the messages of protos/ (payload schemas in the proto3 JSON
 * mapping, descriptions from the .proto comments), with the CloudEvents headers, the keys, the
 * ordering, the retention and the dead-letter topics. Served by the gateway at /asyncapi.json.
 */
import { ALL_EVENTS } from '../lib/contracts';
import { dataSchemaOf, dlqTopic, RETENTION_MS } from '../lib/kafka';
import { schemaBuilder } from './openapi';
import type { Contract } from './registry';

type Doc = Record<string, unknown>;

/** What each topic's key (the aggregate id) is. */
const KEYS: Record<string, string> = {
  'youfu.standards.v1': 'the standards version id (VersionPublished), or `<index kind>:<city>:<year>` (IndexValuePublished)',
  'youfu.persons.v1': "the person's pseudonymous id (UUID)",
  'youfu.settlement.v1': 'the settlement id, or `<hospital>:<period>` for StatementClosed',
  'youfu.adjustment.v1': 'the run id (`adjustment:{year}:{region}`), or `due:{year}` for AdjustmentDue',
  'youfu.resettlement.v1': 'the resettlement case id (UUID)',
};

const ORDERING =
  'Each event is keyed by its aggregate id, so all events of one aggregate are on one partition in the order they were committed (transactional outbox). Delivery is at least once: a consumer de-duplicates by `ce_id`.';

export function asyncApiOf(contract: Contract, o: { version: string; brokers: string[] }): Doc {
  const { schemas, add } = schemaBuilder(contract, '#/components/schemas/');
  const messages: Record<string, Doc> = {};
  const channels: Record<string, Doc> = {};
  const operations: Record<string, Doc> = {};
  for (const events of ALL_EVENTS) {
    const topic = events.topic;
    const area = topic.split('.')[1]!;
    const refs: Record<string, Doc> = {};
    for (const e of Object.values(events)) {
      if (typeof e === 'string') continue;
      const desc = contract.registry.getMessage(e.type);
      if (!desc) throw new Error(`asyncapi: ${e.type} (declared for ${topic}) is not a message of protos/`);
      add(desc);
      const name = desc.name;
      messages[e.type] = {
        name,
        title: e.type,
        summary: contract.comment(desc).split('\n')[0] || name,
        contentType: 'application/protobuf',
        headers: {
          type: 'object',
          required: ['ce_specversion', 'ce_id', 'ce_type', 'ce_source', 'ce_subject', 'ce_time', 'ce_dataschema', 'content-type'],
          properties: {
            ce_specversion: { type: 'string', const: '1.0' },
            ce_id: { type: 'string', format: 'uuid', description: 'the event id: de-duplicate by it' },
            ce_type: { type: 'string', const: e.type, description: 'the protobuf message of the value' },
            ce_source: { type: 'string', const: `/youfu/${area}` },
            ce_subject: { type: 'string', description: `the aggregate id (= the key): ${KEYS[topic] ?? ''}` },
            ce_time: { type: 'string', format: 'date-time', description: 'when the change committed' },
            ce_dataschema: { type: 'string', const: dataSchemaOf(e.type) },
            'content-type': { type: 'string', const: 'application/protobuf' },
          },
        },
        payload: { $ref: `#/components/schemas/${e.type}` },
        description: `${contract.comment(desc)}\n\nThe value is the protobuf binary encoding of \`${e.type}\` (protos/youfu/${area}/v1/events.proto); the schema shows its fields in the proto3 JSON mapping.`.trim(),
        bindings: { kafka: { key: { type: 'string', description: KEYS[topic] ?? 'the aggregate id' }, bindingVersion: '0.5.0' } },
      };
      refs[name] = { $ref: `#/components/messages/${e.type}` };
    }
    const topicConfiguration = { 'cleanup.policy': ['delete'], 'retention.ms': RETENTION_MS };
    channels[area] = {
      address: topic,
      title: topic,
      description: `Events of the ${area} service. ${ORDERING} Retention: ${RETENTION_MS / 86_400_000} days.`,
      messages: refs,
      bindings: { kafka: { topic, partitions: 3, topicConfiguration, bindingVersion: '0.5.0' } },
    };
    channels[`${area}Dlq`] = {
      address: dlqTopic(topic),
      title: dlqTopic(topic),
      description:
        `Dead letters of Youfu's own consumers of ${topic}: a message a consumer could not apply after its retries, unchanged (key, value, CloudEvents headers) plus youfu_dlq_reason, youfu_dlq_consumer, youfu_dlq_attempts, youfu_dlq_topic, youfu_dlq_partition, youfu_dlq_offset. Replayed to ${topic} after a fix (npm run dlq:replay), so a partner sees those events again (same ce_id).`,
      messages: refs,
      bindings: { kafka: { topic: dlqTopic(topic), partitions: 3, topicConfiguration, bindingVersion: '0.5.0' } },
    };
    operations[`publish${area[0]!.toUpperCase()}${area.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${area}` },
      summary: `The ${area} service publishes its events (subscribe with any Kafka client)`,
      messages: Object.keys(refs).map((n) => ({ $ref: `#/channels/${area}/messages/${n}` })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Youfu events',
      version: o.version,
      description: `Every event Youfu publishes to Kafka, generated from protos/. CloudEvents 1.0 in the Kafka binary binding (attributes as ce_* headers), values in protobuf binary. ${ORDERING} See docs/partners.md.`,
    },
    defaultContentType: 'application/protobuf',
    servers: Object.fromEntries(o.brokers.map((b, n) => [`broker${n + 1}`, { host: b, protocol: 'kafka', description: 'a Kafka bootstrap broker' }])),
    channels,
    operations,
    components: { messages, schemas },
  };
}
