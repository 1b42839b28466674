// `oxbow archive`: Kafka topics into offset-named Parquet or JSONL.gz files on HDFS or the local fs, exactly once, until stopped or caught up.

import { KAFKA_CONFIG_OPTION, type KafkaCliOptions, kafkaClient } from '../kafka-client.js';
import { createHash } from 'node:crypto';
import { Option, type Command } from 'commander';
import { KafkaArchiveSource } from '../../../connectors/kafka/kafka-archive-source.js';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { Archiver, type ArchiveProgress } from '../../archive/archiver.js';
import { jsonlGzFormat } from '../../archive/jsonl-format.js';
import { formatRegistry } from '../../archive/partition-index.js';
import { DEFAULT_ROTATION } from '../../archive/rotation.js';
import { uriOf } from '../../archive-fs.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_EVENT_TIME } from '../../event-time.js';
import { enableHeapPacing, heapPacingStats } from '../../heap-pacer.js';
import { getLogger } from '../../logger.js';
import { formatDuration, parseCount, parseDuration, parseSize } from '../../time.js';
import type { CliContext } from '../context.js';
import { METRICS_OPTION, openMetrics, type Metrics } from '../metrics.js';
import { DATANODES_OPTION, WEBHDFS_CA_OPTION, WEBHDFS_TOKEN_OPTION, storageOpener, type StorageCliOptions } from '../storage.js';
import { statusLine } from '../status-line.js';

const log = getLogger('archive');

interface ArchiveCliOptions extends StorageCliOptions, KafkaCliOptions {
  brokers: string;
  topic: string[];
  archive: string;
  format: string;
  rotateRecords: string;
  rotateBytes: string;
  rotateInterval: string;
  eventTime: string;
  group?: string;
  untilCaughtUp?: boolean;
  onRetentionGap: 'fail' | 'skip';
  progressInterval: string;
  metrics?: string;
}

/** The archiver's events as metrics (docs/metrics.md). */
function archiverMetrics(archiver: Archiver, m: Metrics): void {
  archiver.on('progress', ({ payload: p }) => {
    m.total('oxbow_archive_records_archived_total', 'Records in published archive files', p.recordsArchived);
    m.set('oxbow_archive_records_per_second', 'Offsets read per second since the previous progress', p.recordsPerSecond);
    for (const x of p.partitions) {
      const labels = { topic: x.topic, partition: x.partition };
      m.set('oxbow_archive_partition_archived_offset', 'End of the published files (next offset), per partition', Number(x.archivedTo), labels);
      m.set('oxbow_archive_partition_read_offset', 'Next offset to read (the open file included), per partition', Number(x.readTo), labels);
      if (x.logEnd !== null) m.set('oxbow_archive_partition_log_end_offset', "Kafka's log end, per partition", Number(x.logEnd), labels);
      if (x.lag !== null) m.set('oxbow_archive_partition_lag', "Offsets in Kafka not yet in a published file, per partition", Number(x.lag), labels);
    }
  });
  archiver.on('file-published', ({ payload }) => m.add('oxbow_archive_files_published_total', 'Archive files published', 1, { topic: payload.entry.topic }));
  archiver.on('file-discarded', ({ payload }) => m.add('oxbow_archive_files_discarded_total', 'Unpublished files dropped after a storage failure or a conflict (refetched)', 1, { topic: payload.topic }));
  archiver.on('retention-gap', ({ payload }) => m.add('oxbow_archive_retention_gap_offsets_total', 'Offsets Kafka deleted before they were archived', Number(payload.to - payload.from + 1n), { topic: payload.topic }));
}

/** Per partition where the archive stands and its lag to Kafka's log end: `t:0@1200 (lag 35) t:1@1180 (lag 0)`. */
function partitionsText(p: ArchiveProgress): string {
  return p.partitions.map((x) => `${x.topic}:${x.partition}@${x.archivedTo}${x.lag === null ? '' : ` (lag ${x.lag})`}`).join(' ');
}

/** The formats every reader knows; the writer picks one with --format. */
export const archiveFormats = formatRegistry([parquetFormat, jsonlGzFormat]);

/**
 * The consumer group an archive uses unless --group names one: it belongs to the archive, so two archives of one
 * topic (say one on HDFS and one local) never split its partitions between them, while processes archiving the same
 * topics into the same location share the work. `location` is where the archive is, as oxbow resolves it
 * (`webhdfs://host:port/path`, `file:///abs/path`); the group is `oxbow-archive-<topics joined by +>-<12 hex digits of
 * SHA-256 of the location and the sorted topics>`.
 */
export function defaultArchiveGroup(location: string, topics: readonly string[]): string {
  const sorted = [...new Set(topics)].sort();
  const digest = createHash('sha256').update(`${location}\n${sorted.join('\n')}`).digest('hex').slice(0, 12);
  return `oxbow-archive-${sorted.join('+')}-${digest}`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerArchive(program: Command, ctx: CliContext): void {
  program
    .command('archive')
    .description('Archive Kafka topics into files named by offset range (<topic>+<p>+<start>+<end>.<ext>), exactly once, resuming from the files.')
    .requiredOption('--brokers <host:port,...>', 'Kafka bootstrap brokers')
    .requiredOption('--topic <name>', 'topic to archive (repeat for several)', collect, [] as string[])
    .requiredOption('--archive <uri>', 'archive root: webhdfs://namenode:port/path, swebhdfs://..., or file:///path')
    .option('--format <parquet|jsonl.gz>', 'file format', 'parquet')
    .option('--rotate-records <n>', 'publish a file when it holds this many records', String(DEFAULT_ROTATION.records))
    .option('--rotate-bytes <size>', 'publish a file when it reaches this size', '256MiB')
    .option('--rotate-interval <duration>', 'publish a file at most this long after its first record (idle data never waits longer)', formatDuration(DEFAULT_ROTATION.intervalMs))
    .option('--event-time <field|kafka-timestamp>', "event time: a JSON field of the value (epoch ms or ISO-8601; dotted paths allowed), or 'kafka-timestamp'; recorded in every file", DEFAULT_EVENT_TIME)
    .option('--group <id>', 'consumer group; processes with one group split the partitions (default: one derived from --archive and the topics, so that only processes writing the same archive share work)')
    .option('--until-caught-up', 'stop once the archive reaches the latest offsets read at start')
    .addOption(new Option('--on-retention-gap <policy>', 'offsets Kafka deleted (retention) before they were archived: stop naming them, or record the gap and archive on').choices(['fail', 'skip']).default('fail'))
    .option('--progress-interval <duration>', 'time between progress updates (each asks Kafka for its log ends); 0 for none', '10s')
    .option(...METRICS_OPTION)
    .option(...KAFKA_CONFIG_OPTION)
    .option(...DATANODES_OPTION)
    .option(...WEBHDFS_CA_OPTION)
    .option(...WEBHDFS_TOKEN_OPTION)
    .action(async (opts: ArchiveCliOptions, command: Command) => {
      const format = opts.format === 'parquet' ? parquetFormat : opts.format === 'jsonl.gz' ? jsonlGzFormat : null;
      if (!format) throw new UsageError(`--format: '${opts.format}' is not a format; use parquet or jsonl.gz`);
      const rotation = {
        records: parseCount(opts.rotateRecords, '--rotate-records'),
        bytes: parseSize(opts.rotateBytes, '--rotate-bytes'),
        intervalMs: parseDuration(opts.rotateInterval, '--rotate-interval'),
      };
      if (opts.group !== undefined && opts.group.trim() === '') throw new UsageError('--group: the consumer group id is empty');
      const { fs, root } = storageOpener(opts)(opts.archive);
      // Row groups are built and dropped all run long, and what they hold is promoted before it dies: collected once the old
      // generation doubles, the peak stays under 300 MB at any rotation size for about 3 to 5 % of the time
      // (src/heap-pacer.ts). That time is not capped: at the sessions job's 5 %, a JSONL.gz archive of 1M records collected
      // 7 times instead of 13 and peaked at 314 MB instead of 264.
      if (!enableHeapPacing({ growth: 1, maxTimeShare: 1 })) log.debug('heap pacing off (OXBOW_HEAP_PACING=off, or no gc() in this Node)');
      // The archive's URI as oxbow resolves it: the same however the path was spelled (relative, trailing slash, ?user=).
      const location = uriOf(fs, root);
      const group = opts.group ?? defaultArchiveGroup(location, opts.topic);
      log.info('archiving', { topics: opts.topic.join(','), archive: location, group });
      const kafka = await kafkaClient(opts, opts.brokers, `oxbow-archive-${group}`);
      const source = new KafkaArchiveSource({ kafka, brokers: opts.brokers, groupId: group });
      const archiver = new Archiver({
        fs, root, topics: opts.topic, format, formats: archiveFormats, rotation, eventTime: opts.eventTime,
        eventTimeGiven: command.getOptionValueSource('eventTime') !== 'default',
        untilCaughtUp: opts.untilCaughtUp === true, source, onRetentionGap: opts.onRetentionGap,
        progressIntervalMs: parseDuration(opts.progressInterval, '--progress-interval'),
      });
      // On a terminal one line rewritten in place; otherwise a log line per update.
      const line = statusLine(ctx.stderr);
      archiver.on('progress', ({ payload }) => {
        if (line.tty) line.show(`archived ${payload.recordsArchived} records  ${payload.recordsPerSecond}/s  [${partitionsText(payload)}]`);
        else log.info('progress', { records: payload.recordsArchived, perSecond: payload.recordsPerSecond, partitions: partitionsText(payload) });
      });
      archiver.on('file-published', ({ payload }) => log.info('published', {
        file: payload.entry.name, records: payload.entry.count, reason: payload.reason,
      }));
      archiver.on('foreign-file', ({ payload }) => log.warn('foreign file skipped', { path: payload.path, reason: payload.reason }));
      archiver.on('retention-gap', ({ payload }) => log.warn('offsets deleted by Kafka\'s retention before they were archived', {
        topic: payload.topic, partition: payload.partition, from: payload.from.toString(), to: payload.to.toString(), policy: opts.onRetentionGap,
      }));
      const onSignal = (signal: string) => {
        log.info(`${signal}: closing (open files are published or discarded); send it again to stop retrying storage`);
        void archiver.stop();
      };
      const onInt = () => onSignal('SIGINT');
      const onTerm = () => onSignal('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      let metrics: Awaited<ReturnType<typeof openMetrics>> = null;
      try {
        metrics = await openMetrics(opts.metrics);
        if (metrics) archiverMetrics(archiver, metrics.registry);
        const summary = await archiver.run().finally(() => line.end());
        log.debug('heap pacing', { ...heapPacingStats() });
        ctx.stdout.write(JSON.stringify({
          records: summary.recordsArchived,
          files: summary.filesPublished,
          eventTimeMissing: summary.eventTimeMissing,
          foreignFiles: summary.foreignFiles,
          retentionGaps: summary.retentionGaps.map((g) => ({ ...g, from: g.from.toString(), to: g.to.toString() })),
        }) + '\n');
        if (summary.eventTimeMissing > 0) log.warn('records archived without a usable event time', { count: summary.eventTimeMissing, eventTime: opts.eventTime });
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        await metrics?.close();
      }
    });
}
