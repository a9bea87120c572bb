/**
 * Re-publishes the dead letters of a topic to the topic itself, after the cause was fixed.
 *   npm run dlq:replay -- youfu.persons.v1
 * Each dead letter is replayed once (a consumer group tracks what was replayed).
 */
import { loadConfig } from '../../services/lib/config';
import { replayDeadLetters } from '../../services/lib/consumer';
import { createKafka } from '../../services/lib/kafka';
import { createLogger } from '../../services/lib/log';

const topic = process.argv[2];
if (!topic || !/^youfu\.[a-z]+\.v\d+$/.test(topic)) {
  console.error('usage: npm run dlq:replay -- <topic, e.g. youfu.persons.v1>');
  process.exit(2);
}
const cfg = loadConfig({});
const log = createLogger('dlq-replay', cfg.YOUFU_LOG_LEVEL);
const n = await replayDeadLetters(createKafka(cfg.YOUFU_KAFKA_BROKERS, 'youfu-dlq-replay', log), cfg.YOUFU_TOPIC_PREFIX, topic, log);
console.log(`replayed ${n} dead letter(s) of ${topic}`);
