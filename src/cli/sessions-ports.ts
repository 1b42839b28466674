// What `oxbow sessions` opens from its flags: the archive (and its topic), Kafka, the partitions, the output, the
// checkpoint store and the checkpoint to restore; and the event-time definition, which may come from the archive.

import { connectCatalog } from '../../connectors/connect/connect-catalog.js';
import { type KafkaCliOptions, kafkaClientOptions } from './kafka-client.js';
import type { Kafka } from 'kafkajs';
import { KafkaPartitionReader, listKafkaPartitions } from '../../connectors/kafka/partition-reader.js';
import { ThreadedPartitionReader } from '../../connectors/kafka/threaded-reader.js';
import { createKafka, type KafkaClientOptions } from '../../connectors/kafka/client.js';
import { KafkaSink } from '../../connectors/kafka/sink-kafka.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../archive/jsonl-format.js';
import { formatRegistry } from '../archive/partition-index.js';
import { listTopicPartitions, listTopics } from '../archive/reader.js';
import type { Checkpoint } from '../checkpoint/format.js';
import { CheckpointStore, readCheckpoint } from '../checkpoint/store.js';
import { UnknownTopicError, UsageError } from '../errors.js';
import { DEFAULT_EVENT_TIME, type EventTimeDefinition, parseEventTimeDefinition } from '../event-time.js';
import { getLogger } from '../logger.js';
import { FileSink } from '../sink/file-sink.js';
import { StreamSink } from '../sink/stream-sink.js';
import type { OutputSink } from '../sink/types.js';
import { archiveCatalog, recordedEventTimes } from '../source/archive-catalog.js';
import { parsePartitionSpec } from '../source/partition-spec.js';
import type { ArchiveCatalog, LiveReader } from '../source/types.js';
import { joinPath } from '../archive-fs.js';
import { type ArchiveLayout, checkArchiveLayout, storageOpener, type StorageCliOptions } from './storage.js';

const log = getLogger('sessions');

export interface SessionsPortFlags extends StorageCliOptions, KafkaCliOptions {
  archive?: string;
  brokers?: string;
  topic?: string;
  partitions?: string;
  output: string;
  checkpointDir?: string;
  fromSavepoint?: string;
  eventTime: string;
  timeField?: string;
  /** `oxbow` (default) or `connect`: the archive is Kafka Connect HDFS's (connectors/connect/connect-catalog.ts). */
  archiveLayout?: ArchiveLayout;
  /** With `connect`: the value field the connector's InsertField transform stored each record's offset in. */
  offsetField?: string;
  /** `--profiles TOPIC` and its time (`--profile-time`; undefined: the profiles archive's own, else `ts`). */
  profiles?: string;
  profileTime?: string;
  /** `--stop-at-live`: the job ends at the end offsets Kafka had at the switch. */
  stopAtLive?: boolean;
}

export interface OpenedPorts {
  topic: string;
  partitions: number[];
  archive: ArchiveCatalog | null;
  live: LiveReader | null;
  output: OutputSink;
  store: CheckpointStore | null;
  restore: { path: string; checkpoint: Checkpoint } | null;
  eventTime: EventTimeDefinition;
  /** With `--profiles`: the profiles topic's partitions, archive, Kafka reader and the time of its versions. */
  profiles: { topic: string; partitions: number[]; archive: ArchiveCatalog | null; live: LiveReader | null; eventTime: EventTimeDefinition } | null;
}

/** Opens everything the flags name; usage errors (a missing topic, no partitions, a bad output) before any reading. */
export async function openSessionsPorts(flags: SessionsPortFlags, stdout: NodeJS.WritableStream, eventTimeGiven: boolean): Promise<OpenedPorts> {
  const { open, kafka, topic, partitions, archive, eventTime, live } = await openInput(flags, eventTimeGiven, true);
  try {
    const profiles = flags.profiles !== undefined ? await openProfiles(flags, open, kafka, flags.profiles) : null;
    const store = flags.checkpointDir ? (({ fs, root }) => new CheckpointStore(fs, root))(open(flags.checkpointDir)) : null;
    return {
      topic, partitions, archive, eventTime, store, profiles, live,
      output: openOutput(flags, kafka, stdout, open),
      restore: await loadRestore(flags, store, open),
    };
  } catch (err) {
    await live?.close().catch(() => {});
    throw err;
  }
}

/**
 * The events topic's reader of a job of one process: on a thread of its own (docs/replay.md, "Reading Kafka"), or on the
 * job's thread with `OXBOW_READER_THREAD=off`.
 */
function eventsReader(kafka: Kafka, client: KafkaClientOptions, topic: string, failOnNewPartitions: boolean): LiveReader {
  return process.env.OXBOW_READER_THREAD === 'off'
    ? new KafkaPartitionReader({ kafka, brokers: client.brokers, topic, failOnNewPartitions })
    : new ThreadedPartitionReader({ client, topic, failOnNewPartitions });
}

/**
 * What one worker of a parallel job opens (docs/scaling.md): the input as for one job, and per partition its own Kafka
 * reader, output (`<output>/partition-<p>/` for a folder; stdout and Kafka are shared) and exclusive checkpoint folder
 * (`<checkpoint-dir>/partition-<p>/`).
 */
export interface ParallelPorts {
  topic: string;
  partitions: number[];
  archive: ArchiveCatalog | null;
  eventTime: EventTimeDefinition;
  live(): LiveReader | null;
  output(partition: number): OutputSink;
  store(partition: number): CheckpointStore | null;
}

export async function openParallelPorts(flags: SessionsPortFlags, stdout: NodeJS.WritableStream, eventTimeGiven: boolean): Promise<ParallelPorts> {
  const { open, kafka, topic, partitions, archive, eventTime } = await openInput(flags, eventTimeGiven);
  const folder = flags.output !== '-' && !flags.output.startsWith('kafka://');
  // Opened once to check the target; each partition's sink is then its own, on storage opened once.
  openOutput(flags, kafka, stdout, open);
  const outputRoot = folder ? open(flags.output) : null;
  const checkpointRoot = flags.checkpointDir ? open(flags.checkpointDir) : null;
  return {
    topic, partitions, archive, eventTime,
    live: () => (kafka && flags.brokers ? new KafkaPartitionReader({ kafka, brokers: flags.brokers, topic }) : null),
    output: (partition) => (outputRoot
      ? new FileSink(outputRoot.fs, joinPath(outputRoot.root, partitionFolder(partition)), true)
      : openOutput(flags, kafka, stdout, open)),
    store: (partition) => (checkpointRoot
      ? new CheckpointStore(checkpointRoot.fs, joinPath(checkpointRoot.root, partitionFolder(partition)), 3, true)
      : null),
  };
}

/** The folder of one partition's output parts and checkpoints in a parallel job. */
export function partitionFolder(partition: number): string {
  return `partition-${partition}`;
}

/**
 * The archive, Kafka, the topic and its partitions, and the event time: what every sessions job reads; with `withReader`,
 * also the events topic's reader, started as soon as the topic and the client are known, so that its thread loads and
 * connects while the rest is looked up (closed again when the rest fails).
 */
async function openInput(flags: SessionsPortFlags, eventTimeGiven: boolean, withReader = false) {
  const open = storageOpener(flags);
  const archive = await openArchive(flags, open);
  const topic = archive.topic;
  if (!topic) throw new UsageError('--topic: name the topic to read from Kafka');
  const client = flags.brokers ? await kafkaClientOptions(flags, flags.brokers, 'oxbow-sessions') : null;
  const kafka: Kafka | null = client ? createKafka(client) : null;
  // A job that reads the whole topic and goes on live stops when Kafka adds partitions to it, rather than never reading
  // them; a job given --partitions reads those alone, and one that stops at live reads what Kafka had at the switch.
  const live = withReader && kafka && client ? eventsReader(kafka, client, topic, flags.partitions === undefined && !flags.stopAtLive) : null;
  try {
    return { open, kafka, topic, archive: archive.catalog, live, ...await inputPartitions(flags, eventTimeGiven, kafka, topic, archive) };
  } catch (err) {
    await live?.close().catch(() => {});
    throw err;
  }
}

/** The partitions a job reads (given, or all the archive and Kafka have) and the event time that reads them. */
async function inputPartitions(flags: SessionsPortFlags, eventTimeGiven: boolean, kafka: Kafka | null, topic: string, archive: Awaited<ReturnType<typeof openArchive>>) {
  const kafkaPartitions = kafka && flags.brokers ? await listKafkaPartitions(kafka, flags.brokers, topic) : [];
  const known = [...new Set([...archive.partitions, ...kafkaPartitions])].sort((a, b) => a - b);
  const partitions = flags.partitions ? parsePartitionSpec(flags.partitions) : known;
  const unknown = partitions.filter((p) => !known.includes(p));
  if (flags.partitions && unknown.length > 0) {
    const where = [flags.archive ? `the archive ${flags.archive}` : '', flags.brokers ? `Kafka at ${flags.brokers}` : ''].filter(Boolean).join(' or ');
    throw new UsageError(`--partitions ${flags.partitions}: topic ${topic} has no partition ${unknown.join(', ')} in ${where} (it has ${known.length > 0 ? known.join(', ') : 'none'}); give partitions it has`);
  }
  if (partitions.length === 0) {
    throw new UsageError(`topic ${topic}: no partitions found in ${flags.archive ?? 'the archive'}${flags.brokers ? ' or Kafka' : ''}; check --archive/--topic or give --partitions`);
  }
  // A Connect archive records no event-time definition: the job's own (given, or the default) reads it.
  const eventTime = await chooseEventTime(flags, eventTimeGiven, flags.archiveLayout === 'connect' ? null : archive.catalog, partitions);
  return { partitions, eventTime };
}

async function openArchive(flags: SessionsPortFlags, open: ReturnType<typeof storageOpener>): Promise<{ catalog: ArchiveCatalog | null; topic: string | null; partitions: number[] }> {
  if (!flags.archive) return { catalog: null, topic: flags.topic ?? null, partitions: [] };
  const { fs, root } = open(flags.archive);
  let topic = flags.topic ?? null;
  if (topic === null) {
    // The profiles topic lives in the same archive: it is not a candidate for the events topic.
    const topics = (await listTopics(fs, root)).filter((t) => t !== flags.profiles);
    if (topics.length !== 1) {
      throw new UsageError(topics.length === 0
        ? `--archive ${flags.archive}: no topics/ folder with archived topics there; check the path`
        : `--archive ${flags.archive} holds topics ${topics.join(', ')}; choose one with --topic`);
    }
    topic = topics[0]!;
  }
  checkArchiveLayout({ archiveLayout: flags.archiveLayout ?? 'oxbow', offsetField: flags.offsetField });
  const eventTime = parseEventTimeDefinition(flags.timeField ?? flags.eventTime, flags.timeField !== undefined ? '--time-field' : '--event-time');
  return { topic, ...await topicArchive(flags, open, topic, eventTime) };
}

/** One topic's files in the archive root: its catalogue (oxbow's layout or Kafka Connect's) and the partitions it has. */
async function topicArchive(flags: SessionsPortFlags, open: ReturnType<typeof storageOpener>, topic: string, eventTime: EventTimeDefinition): Promise<{ catalog: ArchiveCatalog; partitions: number[] }> {
  const { fs, root } = open(flags.archive!);
  if (flags.archiveLayout === 'connect') {
    const catalog = connectCatalog(fs, root, topic, { eventTime, ...(flags.offsetField === undefined ? {} : { offsetField: flags.offsetField }) });
    return { catalog, partitions: await catalog.partitions() };
  }
  const formats = formatRegistry([parquetFormat, jsonlGzFormat]);
  return { catalog: archiveCatalog(fs, root, topic, formats), partitions: await listTopicPartitions(fs, root, topic) };
}

/**
 * The profiles topic (`--profiles`): every partition the archive or Kafka has (a topic in neither is a usage error), and
 * the time of its versions: `--profile-time`, else what its archive records, else `ts`.
 */
async function openProfiles(flags: SessionsPortFlags, open: ReturnType<typeof storageOpener>, kafka: Kafka | null, topic: string): Promise<NonNullable<OpenedPorts['profiles']>> {
  if (topic === '') throw new UsageError('--profiles: name the profiles topic');
  if (topic === flags.topic) throw new UsageError(`--profiles ${topic}: that is the events topic (--topic); name the topic that holds the profiles`);
  const given = flags.profileTime !== undefined ? parseEventTimeDefinition(flags.profileTime, '--profile-time') : null;
  const archive = flags.archive ? await topicArchive(flags, open, topic, given ?? parseEventTimeDefinition(DEFAULT_EVENT_TIME)) : null;
  const kafkaPartitions = kafka && flags.brokers ? await listKafkaPartitions(kafka, flags.brokers, topic).catch((err: unknown) => {
    // Archived but not (or no longer) in Kafka: the archive alone is read.
    if (err instanceof UnknownTopicError) return [];
    throw err;
  }) : [];
  const partitions = [...new Set([...(archive?.partitions ?? []), ...kafkaPartitions])].sort((a, b) => a - b);
  if (partitions.length === 0) {
    const where = [flags.archive ? `the archive ${flags.archive}` : '', flags.brokers ? `Kafka at ${flags.brokers}` : ''].filter(Boolean).join(' nor ');
    throw new UsageError(`--profiles ${topic}: neither ${where} has that topic; archive it (oxbow archive --topic ${topic}) or check its name`);
  }
  // A Connect archive records no definition: the default reads it, as for the events.
  const eventTime = given ?? (archive && flags.archiveLayout !== 'connect'
    ? await archiveEventTime(archive.catalog, partitions, `--profiles ${topic}`, '--profile-time')
    : parseEventTimeDefinition(DEFAULT_EVENT_TIME, '--profile-time'));
  return {
    topic, partitions, eventTime, archive: archive?.catalog ?? null,
    live: kafka && flags.brokers && kafkaPartitions.length > 0 ? new KafkaPartitionReader({ kafka, brokers: flags.brokers, topic }) : null,
  };
}

function openOutput(flags: SessionsPortFlags, kafka: Kafka | null, stdout: NodeJS.WritableStream, open: ReturnType<typeof storageOpener>): OutputSink {
  if (flags.output === '-') return new StreamSink(stdout);
  if (flags.output.startsWith('kafka://')) {
    if (!kafka || !flags.brokers) throw new UsageError('--output kafka://TOPIC needs --brokers');
    const outTopic = flags.output.slice('kafka://'.length);
    if (!outTopic) throw new UsageError('--output kafka://TOPIC: the topic name is missing');
    return new KafkaSink(kafka, flags.brokers, outTopic);
  }
  const { fs, root } = open(flags.output);
  return new FileSink(fs, root);
}

async function loadRestore(flags: SessionsPortFlags, store: CheckpointStore | null, open: ReturnType<typeof storageOpener>): Promise<OpenedPorts['restore']> {
  if (!flags.fromSavepoint) return null;
  if (flags.fromSavepoint === 'latest') {
    if (!store) throw new UsageError('--from-savepoint latest needs --checkpoint-dir to look in');
    const latest = await store.latest();
    if (!latest) log.info('no checkpoint yet in --checkpoint-dir; starting from the beginning', { dir: store.dir });
    return latest;
  }
  const { fs, root } = open(flags.fromSavepoint);
  return { path: flags.fromSavepoint, checkpoint: await readCheckpoint(fs, root) };
}

/**
 * The job's event-time definition: the one given (`--event-time`, or its old spelling `--time-field`), else the one the
 * archive's files record, else the default. An archive recording two definitions mixes clocks: refused.
 */
async function chooseEventTime(flags: SessionsPortFlags, explicit: boolean, catalog: ArchiveCatalog | null, partitions: number[]): Promise<EventTimeDefinition> {
  if (flags.timeField !== undefined && explicit && flags.timeField !== flags.eventTime) {
    throw new UsageError(`--time-field ${flags.timeField} and --event-time ${flags.eventTime} disagree; --time-field is the old spelling of --event-time, give one`);
  }
  if (flags.timeField !== undefined) return parseEventTimeDefinition(flags.timeField, '--time-field');
  if (explicit || catalog === null) return parseEventTimeDefinition(flags.eventTime);
  return archiveEventTime(catalog, partitions, `--archive ${flags.archive}`, '--event-time');
}

/** The definition a topic's archived files record (one, or refused as mixed clocks), else the default. */
async function archiveEventTime(catalog: ArchiveCatalog, partitions: number[], what: string, option: string): Promise<EventTimeDefinition> {
  const recorded = [...(await recordedEventTimes(catalog, partitions))];
  if (recorded.length > 1) {
    throw new UsageError(`${what}: its files record different event-time definitions (${recorded.join(', ')}); an archive must be written in one clock`);
  }
  if (recorded.length === 1) log.info('event time as the archive records it', { option, eventTime: recorded[0] });
  return parseEventTimeDefinition(recorded[0] ?? DEFAULT_EVENT_TIME, option);
}
