// `oxbow inspect`: what an archive holds per partition (files, offsets, event time, gaps, overlaps, foreign files), and against Kafka.

import { KAFKA_CONFIG_OPTION, type KafkaCliOptions, kafkaClient } from '../kafka-client.js';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { fetchTopicOffsets } from '../../../connectors/kafka/topic-offsets.js';
import { kafkaCall } from '../../../connectors/kafka/client.js';
import { compareWithKafka, type CoverageFile, type OffsetRange, type PartitionCoverage, partitionCoverage } from '../../archive/coverage.js';
import { validateTopicName } from '../../archive/file-name.js';
import { loadPartitionIndex } from '../../archive/partition-index.js';
import { listTopicLayout, listTopics } from '../../archive/reader.js';
import { CONNECT_LAYOUT_NOT_READ, CONNECT_NOT_REPLAYED } from '../../archive/connect-files.js';
import type { PartitionOffsets } from '../../archive/archive-source.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_EVENT_TIME, parseEventTimeDefinition } from '../../event-time.js';
import { type ConnectCatalog, connectCatalog } from '../../../connectors/connect/connect-catalog.js';
import type { CliContext } from '../context.js';
import { type PagePartition, renderInspectPage } from '../inspect-html.js';
import { archiveLayoutOptions, checkArchiveLayout, DATANODES_OPTION, WEBHDFS_CA_OPTION, WEBHDFS_TOKEN_OPTION, storageOpener, type ArchiveLayoutCliOptions, type StorageCliOptions } from '../storage.js';
import { archiveFormats } from './archive.js';

/** A Connect file's facts as coverage reads them; `positional` files hold fewer records than their names span. */
async function connectFiles(catalog: ConnectCatalog, partition: number): Promise<CoverageFile[]> {
  return (await catalog.listFiles(partition)).map((f) => ({
    name: f.path.slice(f.path.lastIndexOf('/') + 1), startOffset: f.startOffset, endOffset: f.endOffset, nextOffset: f.nextOffset,
    count: f.count, length: f.length, eventTimeMissing: f.eventTimeMissing,
    minEventTime: Number.isFinite(f.minEventTime) ? f.minEventTime : null, maxEventTime: Number.isFinite(f.maxEventTime) ? f.maxEventTime : null,
    format: `connect ${f.format}${f.positional ? ' (offsets by position)' : ''}`, eventTime: null,
  }));
}

interface InspectCliOptions extends StorageCliOptions, KafkaCliOptions, ArchiveLayoutCliOptions {
  archive: string;
  topic: string[];
  brokers?: string;
  json?: boolean;
  files?: boolean;
  html?: string;
  eventTime: string;
}

/** One line per archive file: `  FILE <name>: offsets a..b, N records, B bytes, event time x .. y, format`. */
function fileLines(entries: readonly CoverageFile[]): string[] {
  return entries.map((e) => `  FILE ${e.name}: offsets ${e.startOffset}..${e.endOffset}, ${e.count} records, ${e.length} bytes, event time ${time(e.minEventTime)} .. ${time(e.maxEventTime)}, ${e.format}${e.eventTime === null ? '' : ` (--event-time ${e.eventTime})`}`);
}

/** What `--files --json` adds to a partition's object: each file's facts, offsets as strings. */
function fileFacts(entries: readonly CoverageFile[]): Record<string, unknown>[] {
  return entries.map((e) => ({
    name: e.name, startOffset: e.startOffset, endOffset: e.endOffset, records: e.count, bytes: e.length,
    minEventTime: e.minEventTime, maxEventTime: e.maxEventTime, format: e.format, eventTime: e.eventTime,
  }));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const range = (r: OffsetRange | null): string => (r === null ? '-' : r.from === r.to ? `${r.from}` : `${r.from}..${r.to}`);
const count = (r: OffsetRange | null): bigint => (r === null ? 0n : r.to - r.from + 1n);
const time = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString());

function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function describe(c: PartitionCoverage): string[] {
  const lines = [
    `${c.topic}/${c.partition}: ${c.files} files, ${c.records} records, ${c.bytes} bytes, offsets ${c.start === null ? '-' : `${c.start}..${(c.end ?? 0n) - 1n}`} (next ${c.end ?? '-'}), index ${c.indexState}`,
    `  event time ${time(c.minEventTime)} .. ${time(c.maxEventTime)}${c.eventTimeMissing ? `, ${c.eventTimeMissing} records without event time` : ''}`,
  ];
  for (const g of c.gaps) lines.push(`  GAP ${range(g)} (${count(g)} offsets in no file)`);
  for (const o of c.overlaps) lines.push(`  OVERLAP ${range(o)} in ${o.files[0]} and ${o.files[1]} (readers dedupe by offset)`);
  for (const f of c.foreign) lines.push(f.connect === undefined ? `  FOREIGN ${f.path}: ${f.reason}` : `  CONNECT ${f.path}: ${f.connect}; ${CONNECT_NOT_REPLAYED}`);
  if (c.kafka) {
    const k = c.kafka;
    lines.push(`  kafka earliest ${k.earliest}, latest ${k.latest}; archived and in Kafka ${range(k.archivedAndInKafka)}; only in Kafka ${range(k.onlyInKafka)} (${count(k.onlyInKafka)})`);
    for (const d of k.deletedAndMissing) lines.push(`  LOST ${range(d)}: deleted by retention and not in the archive (${count(d)} offsets)`);
  }
  return lines;
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('Show what an archive holds per partition: files, offset coverage, event-time range, gaps, overlaps; with --brokers, against Kafka.')
    .requiredOption('--archive <uri>', 'archive root: webhdfs://namenode:port/path, swebhdfs://..., or file:///path')
    .option('--topic <name>', 'topic to inspect (repeatable; default: every topic in the archive)', collect, [] as string[])
    .option('--brokers <host:port,...>', 'compare with Kafka: earliest/latest offsets, what only Kafka holds, what retention deleted')
    .option('--json', 'one JSON object per partition instead of text')
    .addOption(archiveLayoutOptions()[0]!)
    .addOption(archiveLayoutOptions()[1]!)
    .option('--event-time <field>', 'with --archive-layout connect: the value field whose range each file shows', DEFAULT_EVENT_TIME)
    .option('--html <file>', 'also write a self-contained page drawing each partition over offsets and event time, with a table of files')
    .option('--files', 'also list every archive file of each partition (offsets, records, bytes, event time)')
    .option(...KAFKA_CONFIG_OPTION)
    .option(...DATANODES_OPTION)
    .option(...WEBHDFS_CA_OPTION)
    .option(...WEBHDFS_TOKEN_OPTION)
    .action(async (opts: InspectCliOptions) => {
      const { fs, root } = storageOpener(opts)(opts.archive);
      const topics = opts.topic.length > 0 ? opts.topic.map((t) => validateTopicName(t, '--topic')) : await listTopics(fs, root);
      let kafkaOffsets: Map<string, PartitionOffsets[]> | null = null;
      if (opts.brokers) {
        const brokers = opts.brokers;
        const kafka = await kafkaClient(opts, brokers, 'oxbow-inspect');
        const admin = kafka.admin();
        await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
        try {
          kafkaOffsets = new Map();
          for (const t of topics) kafkaOffsets.set(t, await fetchTopicOffsets(admin, brokers, t));
        } finally {
          await admin.disconnect().catch(() => {});
        }
      }
      let problems = 0;
      let connectFound = false;
      const page: PagePartition[] = [];
      checkArchiveLayout(opts);
      // --archive-layout connect: Connect's files, described by reading them (connectors/connect/connect-catalog.ts).
      const catalogs = new Map<string, ConnectCatalog>();
      const connect = opts.archiveLayout === 'connect'
        ? (topic: string) => catalogs.get(topic) ?? catalogs.set(topic, connectCatalog(fs, root, topic, {
          eventTime: parseEventTimeDefinition(opts.eventTime), ...(opts.offsetField === undefined ? {} : { offsetField: opts.offsetField }),
        })).get(topic)!
        : null;
      for (const topic of topics) {
        const layout = connect !== null ? { partitions: await connect(topic).partitions(), connectFolders: [] } : await listTopicLayout(fs, root, topic);
        const partitions = new Set(layout.partitions);
        if (layout.connectFolders.length > 0) {
          connectFound = true;
          if (opts.json) ctx.stdout.write(toJson({ topic, connectFolders: layout.connectFolders }) + '\n');
          else for (const f of layout.connectFolders) ctx.stdout.write(`${topic}: CONNECT ${f.path}: ${f.what}; ${CONNECT_LAYOUT_NOT_READ}\n`);
        }
        for (const p of kafkaOffsets?.get(topic) ?? []) partitions.add(p.partition);
        for (const partition of [...partitions].sort((a, b) => a - b)) {
          const listing = connect !== null
            ? { entries: await connectFiles(connect(topic), partition), foreign: [], indexState: 'connect' }
            : await loadPartitionIndex(fs, root, topic, partition, archiveFormats);
          const c = partitionCoverage(topic, partition, listing.entries, listing.foreign, listing.indexState);
          const k = kafkaOffsets?.get(topic)?.find((o) => o.partition === partition);
          if (k) c.kafka = compareWithKafka(c, k.earliest, k.latest);
          page.push({ coverage: c, entries: listing.entries });
          if (c.foreign.some((f) => f.connect !== undefined)) connectFound = true;
          problems += c.gaps.length + (c.kafka?.deletedAndMissing.length ?? 0);
          if (opts.json) ctx.stdout.write(toJson(opts.files ? { ...c, fileList: fileFacts(listing.entries) } : c) + '\n');
          else ctx.stdout.write([...describe(c), ...(opts.files ? fileLines(listing.entries) : [])].join('\n') + '\n');
        }
      }
      if (opts.html !== undefined) {
        const html = renderInspectPage({ archive: opts.archive, generatedAt: new Date(), partitions: page });
        await writeFile(opts.html, html).catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(`cannot write the --html page to ${opts.html}: ${err.message}; give a path in a folder that exists and can be written`);
        });
        ctx.stderr.write(`inspect: page written to ${opts.html}\n`);
      }
      if (topics.length === 0 && !opts.json) ctx.stdout.write(`no topics under ${opts.archive}\n`);
      // Gaps and lost offsets are findings, not failures of the command; say so in the exit code for scripts.
      if (problems > 0) ctx.exitCode = 1;
      // Another writer's files in the root: no replay of this root can be whole, which is an input to fix, not a finding.
      if (connectFound) ctx.exitCode = 2;
    });
}
