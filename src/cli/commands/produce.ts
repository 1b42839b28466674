// `oxbow produce`: music events from the generator into a Kafka topic (created when missing), and optionally the same
// users' profile versions into a compacted topic, to try the other commands (and `sessions --profiles`) on real Kafka
// without writing a producer first.

import { KAFKA_CONFIG_OPTION, type KafkaCliOptions, kafkaClient } from '../kafka-client.js';
import { once } from 'node:events';
import type { Command } from 'commander';
import { createTopic, produceRecords } from '../../../connectors/kafka/bulk-producer.js';
import { kafkaCall } from '../../../connectors/kafka/client.js';
import { UsageError } from '../../errors.js';
import { generateMusicEvents, generateProfileVersions, type MusicEvent } from '../../gen/music-events.js';
import { getLogger } from '../../logger.js';
import { parseCount, parseDuration, parseEventTime } from '../../time.js';
import type { CliContext } from '../context.js';

const log = getLogger('produce');

interface ProduceFlags extends KafkaCliOptions {
  brokers: string;
  topic: string;
  partitions: string;
  keyBy: string;
  users: string;
  duration: string;
  start?: string;
  seed: string;
  disorder: string;
  limit?: string;
  rate?: string;
  profilesTopic?: string;
}

/** The record key of an event: the value of `keyBy` as text, or null (`none`, or an event without that field). */
function keyOf(event: MusicEvent, keyBy: string): string | null {
  if (keyBy === 'none') return null;
  const v = (event as Record<string, unknown>)[keyBy];
  return v === undefined || v === null ? null : String(v);
}

export function registerProduce(program: Command, ctx: CliContext): void {
  program
    .command('produce')
    .description('Produce generated music events ({"userId","ts","type","songId","playlistId"}) to a Kafka topic, creating it when missing.')
    .requiredOption('--brokers <host:port,...>', 'Kafka bootstrap brokers')
    .option(...KAFKA_CONFIG_OPTION)
    .requiredOption('--topic <name>', 'topic to produce to')
    .option('--partitions <n>', 'partitions of the topic when it has to be created', '4')
    .option('--key-by <field|none>', "record key: an event field (userId, songId, playlistId, type) or 'none' for null keys", 'userId')
    .option('--users <n>', 'number of users', '100')
    .option('--duration <duration>', 'event-time span of the events', '1d')
    .option('--start <time>', 'first event time, epoch ms or ISO-8601 (default: now minus --duration)')
    .option('--seed <n>', 'random seed: the same seed and options give the same events', '1')
    .option('--disorder <duration>', 'out-of-orderness bound of the events', '5s')
    .option('--limit <n>', 'stop after this many events')
    .option('--rate <n>', 'events per second at most (default: as fast as Kafka takes them)')
    .option('--profiles-topic <name>', "also produce the users' profile versions (a few changes over --duration, some deletions) to this topic, keyed by userId with Kafka timestamp = ts; created compacted when missing")
    .action(async (flags: ProduceFlags) => {
      const partitions = parseCount(flags.partitions, '--partitions');
      const durationMs = parseDuration(flags.duration, '--duration');
      const start = flags.start === undefined ? Date.now() - durationMs : parseEventTime(flags.start);
      if (start === null) throw new UsageError(`--start: '${flags.start}' is not epoch ms or ISO-8601`);
      const limit = flags.limit === undefined ? undefined : parseCount(flags.limit, '--limit');
      const rate = flags.rate === undefined ? null : parseCount(flags.rate, '--rate');
      if (flags.keyBy.trim() === '') throw new UsageError("--key-by: give an event field or 'none'");
      const events = generateMusicEvents({
        seed: parseCount(flags.seed, '--seed', 0), users: parseCount(flags.users, '--users'), start, durationMs,
        maxDisorderMs: parseDuration(flags.disorder, '--disorder'), ...(limit === undefined ? {} : { limit }),
      });

      if (flags.profilesTopic !== undefined && (flags.profilesTopic === '' || flags.profilesTopic === flags.topic)) {
        throw new UsageError('--profiles-topic: name a topic other than --topic for the profiles');
      }

      const kafka = await kafkaClient(flags, flags.brokers, 'oxbow-produce');
      const admin = kafka.admin();
      await kafkaCall(flags.brokers, 'connecting the admin client', () => admin.connect());
      /** Creates `topic` when missing (with `config`); true when it did. */
      const ensureTopic = async (topic: string, config: Record<string, string> = {}): Promise<boolean> => {
        if ((await kafkaCall(flags.brokers, 'listing topics', () => admin.listTopics())).includes(topic)) return false;
        await createTopic(kafka, flags.brokers, topic, partitions, config);
        log.info('topic created', { topic, partitions, ...config });
        return true;
      };
      let created = false;
      let profilesCreated = false;
      try {
        created = await ensureTopic(flags.topic);
        // A profiles topic keeps the newest version per user, as such topics do; the archive keeps every version.
        if (flags.profilesTopic !== undefined) profilesCreated = await ensureTopic(flags.profilesTopic, { 'cleanup.policy': 'compact' });
      } finally {
        await admin.disconnect();
      }

      let profiles: { topic: string; created: boolean; records: number } | undefined;
      if (flags.profilesTopic !== undefined) {
        const versions = generateProfileVersions({ seed: parseCount(flags.seed, '--seed', 0), users: parseCount(flags.users, '--users'), start, durationMs });
        const records = (function* () {
          for (const v of versions) yield { key: v.userId, value: v.value === null ? null : JSON.stringify(v.value), timestamp: String(v.ts) };
        })();
        profiles = { topic: flags.profilesTopic, created: profilesCreated, records: await produceRecords(kafka, flags.brokers, flags.profilesTopic, records) };
      }
      const records = (function* () {
        for (const event of events) yield { key: keyOf(event, flags.keyBy), value: JSON.stringify(event) };
      })();
      const sent = await produceRecords(kafka, flags.brokers, flags.topic, records, rate === null ? {} : { perSecond: rate });
      if (!ctx.stdout.write(JSON.stringify({ topic: flags.topic, created, records: sent, keyBy: flags.keyBy, ...(profiles ? { profiles } : {}) }) + '\n')) await once(ctx.stdout, 'drain');
    });
}
