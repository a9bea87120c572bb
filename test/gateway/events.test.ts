import { Parser } from '@asyncapi/parser';
import { create, ScalarType, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncApiOf } from '../../services/gateway/asyncapi';
import { loadContract } from '../../services/gateway/registry';
import { ALL_EVENTS } from '../../services/lib/contracts';
import { createPool, DEV_PG_PASSWORD, migrateService, serviceUrl, type Pool } from '../../services/lib/db';
import { createKafka, dataSchemaOf, RETENTION_MS } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';
import { OutboxRelay } from '../../services/lib/outbox';
import { eventually, freshDatabase, testConfig, topicPrefix, uniqueId } from '../support/env';

const root = path.resolve(import.meta.dirname, '../..');
const contract = loadContract();
const doc = asyncApiOf(contract, { version: '1', brokers: testConfig.YOUFU_KAFKA_BROKERS }) as any;
const allTypes = ALL_EVENTS.flatMap((e) => Object.values(e).filter((v) => typeof v !== 'string').map((v) => (v as { type: string }).type));

/** A message of `desc` with every plain string field set to `sample-<field>` (so decoding is checked field by field). */
function sample(desc: DescMessage): Uint8Array {
  const m = create(desc) as Record<string, unknown>;
  for (const f of desc.fields) if (f.fieldKind === 'scalar' && f.scalar === ScalarType.STRING && !f.oneof) m[f.localName] = `sample-${f.name}`;
  return toBinary(desc, m as never);
}

describe('the event contract for partners', () => {
  it('is an AsyncAPI 3 document that parses without errors and lists every topic and event message of protos/', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    // Every events.proto of protos/ is a topic; every message of those files that an event carries is a message of its channel.
    const areas = readdirSync(path.join(root, 'protos/youfu')).filter((a) => readdirSync(path.join(root, 'protos/youfu', a, 'v1')).includes('events.proto'));
    const addresses = document!.channels().all().map((c) => c.address());
    for (const a of areas) expect(addresses).toEqual(expect.arrayContaining([`youfu.${a}.v1`, `youfu.${a}.v1.dlq`]));
    const declared = document!.messages().all().map((m) => m.title());
    for (const a of areas) {
      const text = readFileSync(path.join(root, 'protos/youfu', a, 'v1/events.proto'), 'utf8');
      // Top-level messages whose comment does not call them a part of another ("… of an event").
      const events = [...text.matchAll(/^message (\w+) \{/gm)].map((m) => `youfu.${a}.v1.${m[1]}`).filter((t) => allTypes.includes(t));
      expect(events.length).toBeGreaterThan(0);
      for (const t of events) expect(declared).toContain(t);
    }
    expect(declared.sort()).toEqual([...allTypes].sort());
    const settled = document!.messages().all().find((m) => m.title() === 'youfu.settlement.v1.SettlementSettled')!;
    expect((settled.headers()!.json() as any).properties.ce_dataschema.const).toBe(dataSchemaOf('youfu.settlement.v1.SettlementSettled'));
    expect(doc.channels.settlement.bindings.kafka.topicConfiguration['retention.ms']).toBe(RETENTION_MS);
  });

  describe('on the wire', () => {
    let db: Awaited<ReturnType<typeof freshDatabase>>;
    let pool: Pool;
    let relay: OutboxRelay;
    const prefix = topicPrefix('partners');
    const kafka = createKafka(testConfig.YOUFU_KAFKA_BROKERS, 'partners-test', createLogger('partners-test', 'warn'));
    let python = '';

    beforeAll(async () => {
      python = execFileSync('bash', [path.join(root, 'deploy/local/python.sh')], { encoding: 'utf8' }).trim();
      db = await freshDatabase('partners');
      await migrateService(db.adminUrl, 'partners', undefined, DEV_PG_PASSWORD);
      const url = serviceUrl(db.adminUrl, 'partners', DEV_PG_PASSWORD);
      pool = createPool(url, { schema: 'partners', application: 'partners-test' });
      relay = new OutboxRelay({ pgUrl: url, schema: 'partners', kafka, source: '/youfu/partners-test', topicPrefix: prefix, topics: ALL_EVENTS.map((e) => e.topic), log: createLogger('relay', 'warn') });
      await relay.start();
    }, 300_000);
    afterAll(async () => {
      await relay?.stop();
      await pool?.end();
      await db?.drop();
    });

    it('keeps 400 days on every topic; the quick-start’s Python decoder reads one event of every type with its CloudEvents headers', async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const described = await admin.describeConfigs({ resources: ALL_EVENTS.map((e) => ({ type: ConfigResourceTypes.TOPIC, name: `${prefix}${e.topic}` })), includeSynonyms: false });
        for (const r of described.resources) expect(r.configEntries.find((c) => c.configName === 'retention.ms')?.configValue, r.resourceName).toBe(String(RETENTION_MS));
      } finally {
        await admin.disconnect();
      }
      // One event of every type through the transactional outbox and the relay, as the services publish them.
      for (const events of ALL_EVENTS) {
        for (const t of Object.values(events).filter((v) => typeof v !== 'string') as { type: string }[]) {
          await pool.query('INSERT INTO outbox (id, topic, aggregate_id, event_type, payload) VALUES (gen_random_uuid(), $1, $2, $3, $4)', [events.topic, uniqueId('agg'), t.type, Buffer.from(sample(contract.registry.getMessage(t.type)!))]);
        }
      }
      await eventually(async () => ((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows[0]!.n === 0 ? true : undefined), 60_000, 'outbox published');
      const out = execFileSync(
        python,
        [path.join(root, 'docs/partners/decode.py'), '--brokers', testConfig.YOUFU_KAFKA_BROKERS.join(','), '--topics', ALL_EVENTS.map((e) => `${prefix}${e.topic}`).join(','), '--group', uniqueId('agency'), '--from-beginning', '--max', String(allTypes.length), '--idle', '90', '--gen', path.join(root, '.local/partners/gen')],
        { encoding: 'utf8', timeout: 180_000 },
      );
      const read = out.trim().split('\n').map((l) => JSON.parse(l));
      expect(read.map((e) => e.ce_type).sort()).toEqual([...allTypes].sort());
      for (const e of read) {
        expect(e.ce_dataschema).toBe(dataSchemaOf(e.ce_type));
        const desc = contract.registry.getMessage(e.ce_type)!;
        const s = desc.fields.find((f) => f.fieldKind === 'scalar' && f.scalar === ScalarType.STRING && !f.oneof);
        if (s) expect(e.data[s.jsonName], e.ce_type).toBe(`sample-${s.name}`);
      }
    }, 240_000);
  });
});
