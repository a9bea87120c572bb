// Readiness probe for the local Kafka broker: succeeds once a real metadata request
// (admin listTopics) is answered. Used by deploy/local/stack.sh after the port opens.
//
//   npx tsx deploy/local/kafka-ready.ts [--brokers 127.0.0.1:9092] [--timeout 60]
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.YOUFU_KAFKA_BROKERS ?? '127.0.0.1:9092' },
    timeout: { type: 'string', default: '60' },
  },
});
const brokers = (values.brokers ?? '').split(',').filter(Boolean);
const deadline = Date.now() + Number(values.timeout) * 1000;

const kafka = new Kafka({
  clientId: 'youfu-kafka-ready',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  requestTimeout: 5000,
  retry: { retries: 0 },
});

let lastError: unknown;
for (let attempt = 1; Date.now() < deadline; attempt++) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    console.log(`[kafka] metadata ok from ${brokers.join(',')}: ${topics.length} topic(s), attempt ${attempt}`);
    await admin.disconnect();
    process.exit(0);
  } catch (err) {
    lastError = err;
    await admin.disconnect().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
console.error(`[kafka] no metadata from ${brokers.join(',')} within ${values.timeout}s: ${String(lastError)}`);
process.exit(1);
