// Smoke test against a running broker (deploy/local/stack.sh up): plain produce, a consumer
// group consuming and committing, and a transactional producer whose committed batch is visible
// to a read_committed consumer while an aborted batch is not. Exits 0 on success.
//
//   npx tsx deploy/local/kafka-smoke.ts [--brokers 127.0.0.1:9092]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer } from 'kafkajs';

const { values } = parseArgs({
  options: { brokers: { type: 'string', default: process.env.YOUFU_KAFKA_BROKERS ?? '127.0.0.1:9092' } },
});
const brokers = (values.brokers ?? '').split(',').filter(Boolean);
const run = randomUUID().slice(0, 8);
const TIMEOUT_MS = 90_000;

// kafkajs logs retriable errors (e.g. "coordinator is loading" while __consumer_offsets and
// __transaction_state are created on a fresh broker) at ERROR level: keep its log and print it only on failure.
const kafkaLog: string[] = [];
const kafka = new Kafka({
  clientId: `youfu-kafka-smoke-${run}`,
  brokers,
  logLevel: logLevel.INFO,
  retry: { initialRetryTime: 200, retries: 8 },
  logCreator:
    () =>
    ({ namespace, level, log }) => {
      kafkaLog.push(`${logLevel[level] ?? level} ${namespace}: ${log.message} ${log.error ? `(${String(log.error)})` : ''}`);
    },
});

const t0 = performance.now();
const step = (msg: string) => console.log(`[smoke ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** Consumes `topic` from the beginning in group `groupId` until `expected` values arrived (or `settleMs` passed with none new). */
async function consumeAll(groupId: string, topic: string, expected: number, settleMs = 0): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 500 });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let settle: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => reject(new Error(`${groupId}: got ${seen.length}/${expected} messages`)), 30_000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value?.toString() ?? '');
            if (seen.length >= expected) {
              if (settleMs === 0) return done();
              clearTimeout(settle);
              settle = setTimeout(done, settleMs);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

async function committedTotal(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function main(): Promise<void> {
  const plainTopic = `youfu.smoke.plain.${run}`;
  const txTopic = `youfu.smoke.tx.${run}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [plainTopic, txTopic].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    });
    step(`created topics ${plainTopic}, ${txTopic} (3 partitions each)`);

    // 1. Plain (idempotent) producer.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const plain = Array.from({ length: 10 }, (_, i) => `plain-${i}`);
    await producer.send({ topic: plainTopic, acks: -1, messages: plain.map((value, i) => ({ key: `k${i}`, value })) });
    await producer.disconnect();
    step(`produced ${plain.length} messages`);

    // 2. Consumer group consumes everything and commits its offsets.
    const group = `youfu-smoke-${run}`;
    const got = await consumeAll(group, plainTopic, plain.length);
    assert([...got].sort().join() === [...plain].sort().join(), `consumer group got ${JSON.stringify(got)}`);
    const committed = await committedTotal(admin, group, plainTopic);
    assert(committed === plain.length, `group ${group} committed ${committed} offsets, expected ${plain.length}`);
    step(`consumer group ${group} consumed ${got.length} messages and committed offsets (${committed})`);

    // 3. Transactional producer: one committed and one aborted batch.
    const tx = kafka.producer({
      transactionalId: `youfu-smoke-tx-${run}`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await tx.connect();
    const committedBatch = Array.from({ length: 5 }, (_, i) => `tx-commit-${i}`);
    const t1 = await tx.transaction();
    await t1.send({ topic: txTopic, messages: committedBatch.map((value, i) => ({ key: `k${i}`, value })) });
    await t1.commit();
    const t2 = await tx.transaction();
    await t2.send({ topic: txTopic, messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `tx-abort-${i}` })) });
    await t2.abort();
    await tx.disconnect();
    step(`transaction committed ${committedBatch.length} messages, a second one aborted 3`);

    // read_committed consumer: sees exactly the committed batch (waits 2s for stragglers).
    const txGot = await consumeAll(`youfu-smoke-tx-${run}`, txTopic, committedBatch.length, 2000);
    assert(
      [...txGot].sort().join() === [...committedBatch].sort().join(),
      `read_committed consumer got ${JSON.stringify(txGot)}, expected only the committed batch`,
    );
    step(`read_committed consumer saw the ${txGot.length} committed messages and none of the aborted ones`);

    await admin.deleteTopics({ topics: [plainTopic, txTopic] });
  } finally {
    await admin.disconnect();
  }
}

const watchdog = setTimeout(() => {
  console.error(`[smoke] FAILED: timed out after ${TIMEOUT_MS / 1000}s`);
  console.error(kafkaLog.slice(-50).join('\n'));
  process.exit(1);
}, TIMEOUT_MS);

try {
  await main();
  clearTimeout(watchdog);
  step(`OK against ${brokers.join(',')}`);
  process.exit(0);
} catch (err) {
  console.error('[smoke] FAILED:', err);
  console.error(`kafkajs log (last 50 of ${kafkaLog.length}):\n${kafkaLog.slice(-50).join('\n')}`);
  process.exit(1);
}
