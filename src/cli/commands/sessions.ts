// `oxbow sessions`: replay the archive in event time into session windows, then carry on over live Kafka from exactly where the archive ends.

import { createWriteStream, type WriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import type { Kafka } from 'kafkajs';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { createKafka } from '../../../connectors/kafka/client.js';
import { KafkaPartitionReader, listKafkaPartitions } from '../../../connectors/kafka/partition-reader.js';
import { KafkaSink } from '../../../connectors/kafka/sink-kafka.js';
import { jsonlGzFormat } from '../../archive/jsonl-format.js';
import { formatRegistry } from '../../archive/partition-index.js';
import { listTopicPartitions, listTopics } from '../../archive/reader.js';
import { checkCheckpointFits, type Checkpoint } from '../../checkpoint/format.js';
import { CheckpointStore, readCheckpoint } from '../../checkpoint/store.js';
import { createAggregate } from '../../engine/aggregates/index.js';
import { SessionEngine } from '../../engine/session-engine.js';
import { parseTriggerSpec } from '../../engine/triggers/index.js';
import type { SessionEngineOptions, SessionSink } from '../../engine/types.js';
import { UsageError } from '../../errors.js';
import { createDecoder, DEFAULT_MAX_AHEAD_MS } from '../../job/decode.js';
import { DEFAULT_EVENT_TIME, type EventTimeDefinition, KAFKA_TIMESTAMP, parseEventTimeDefinition } from '../../event-time.js';
import { SessionsJob, type BadRecord } from '../../job/sessions-job.js';
import type { JobProgress, JobSummary } from '../../job/types.js';
import { getLogger } from '../../logger.js';
import { FileSink } from '../../sink/file-sink.js';
import { StreamSink } from '../../sink/stream-sink.js';
import type { OutputSink } from '../../sink/types.js';
import { archiveCatalog, recordedEventTimes } from '../../source/archive-catalog.js';
import { HybridSource } from '../../source/hybrid-source.js';
import { parsePartitionSpec } from '../../source/partition-spec.js';
import type { ArchiveCatalog } from '../../source/types.js';
import { formatDuration, parseDuration } from '../../time.js';
import type { CliContext } from '../context.js';
import { DATANODES_OPTION, storageOpener, type StorageCliOptions } from '../storage.js';

const log = getLogger('sessions');

interface SessionsOptions extends StorageCliOptions {
  archive?: string;
  brokers?: string;
  topic?: string;
  partitions?: string;
  gap: string;
  allowedLateness: string;
  playlist?: string;
  trigger: string;
  purging: boolean;
  retractions: boolean;
  aggregate: string;
  keyField: string;
  eventTime: string;
  timeField?: string;
  coPartitioned: boolean;
  maxEventTimeAhead: string;
  lateOutput?: string;
  output: string;
  checkpointDir?: string;
  checkpointInterval: string;
  fromSavepoint?: string;
  stopAtLive: boolean;
  prefetch: string;
  onGap: 'error' | 'warn';
  onCorrupt: 'error' | 'skip';
  idleTimeout: string;
  bound: string;
  deadLetter?: string;
  progressInterval: string;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what}: '${text}' is not a whole number >= 1`);
  return n;
}

function writeLine(stream: WriteStream, line: string): void {
  stream.write(line + '\n');
}

async function closeStream(stream: WriteStream | null): Promise<void> {
  if (!stream) return;
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

function fmtTime(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString().replace('.000Z', 'Z') : '-';
}

function progressLine(p: JobProgress): string {
  const parts = p.partitions.map((x) => `${x.partition}:${x.phase === 'archive' ? 'A' : x.phase === 'kafka' ? 'K' : 'done'}${x.lag !== null && x.phase === 'kafka' ? `(lag ${x.lag})` : ''}`).join(' ');
  return `files ${p.filesDone}/${p.filesTotal}  ${p.records} records  ${p.eventsPerSecond}/s  watermark ${fmtTime(p.watermark)}  [${parts}]`;
}

function summaryText(s: JobSummary): string {
  const rows: [string, string | number | null][] = [
    ['stopped by', s.stoppedBy === 'end' ? 'end of input' : s.lastCheckpoint ? 'signal (savepoint written)' : 'signal (no --checkpoint-dir: nothing saved)'],
    ['records read', `${s.records} (archive ${s.recordsArchive}, kafka ${s.recordsKafka})`],
    ['events', s.events],
    ['bad records', s.badRecords],
    ['session results', s.results],
    ['retractions', s.retractions],
    ['late events', s.lateEvents],
    ['archive files read', s.filesRead],
    ['duplicate offsets skipped', s.duplicatesSkipped],
    ['offsets skipped in gaps', s.gapOffsetsSkipped],
    ['corrupt files skipped', s.corruptFilesSkipped],
    ['checkpoints', s.checkpoints],
    ['last checkpoint', s.lastCheckpoint ?? '-'],
    ['switch pause', s.switchPauseMs === null ? '-' : `${s.switchPauseMs} ms`],
    ['final watermark', s.watermark === null ? '-' : fmtTime(s.watermark)],
    ['elapsed', `${(s.elapsedMs / 1000).toFixed(3)} s`],
  ];
  return 'summary:\n' + rows.map(([k, v]) => `  ${k.padEnd(26)} ${v}`).join('\n') + '\n';
}

export function registerSessions(program: Command, ctx: CliContext): void {
  program
    .command('sessions')
    .description('Replay an archived topic in event-time order into session windows, then switch each partition to live Kafka at the exact offset where its archive ends.')
    .option('--archive <uri>', 'archive root: file:///dir, ./dir or webhdfs://namenode:9870/dir')
    .option('--brokers <list>', 'Kafka brokers host:port[,...]; without it the archive is replayed alone')
    .option('--topic <name>', 'topic to replay (default: the archive\'s only topic)')
    .option('--partitions <spec>', 'partitions to read, e.g. 0-3,7 (default: all the archive and Kafka have)')
    .option('--gap <duration>', 'session gap: events at most this far apart share a session', '30m')
    .option('--allowed-lateness <duration>', 'how long after a session fired a late event may still update it', '0ms')
    .option('--trigger <spec>', 'when sessions fire: event-time, continuous:DURATION, count:N', 'event-time')
    .option('--purging', 'clear a session at each firing (results become deltas)', false)
    .option('--retractions', 'emit a retraction for a result that a merge or extension replaced', false)
    .option('--aggregate <name>', 'count | sum:FIELD | listening | playlist-runs', 'count')
    .option('--playlist <id>', 'playlist-runs: keep only the runs of this playlist')
    .option('--key-field <field>', 'value field holding the session key', 'userId')
    .option('--event-time <field|kafka-timestamp>', `event time: a JSON field of the value (epoch ms or ISO-8601; dotted paths allowed), or '${KAFKA_TIMESTAMP}'; left out: the archive's own definition`, DEFAULT_EVENT_TIME)
    .addOption(new Option('--time-field <field>', 'alias of --event-time (the spelling of oxbow 0.1)').hideHelp())
    .option('--co-partitioned', 'assert that the topic keeps each session key in one partition (verified: a key seen in two stops the job)', false)
    .option('--max-event-time-ahead <duration>', 'an event time further ahead of its Kafka record timestamp (or, live, of the clock) is a bad record', formatDuration(DEFAULT_MAX_AHEAD_MS))
    .option('--late-output <file>', 'write events too late for any session here (JSONL); otherwise they are counted')
    .option('--output <target>', 'results to: - (stdout), file:///dir, webhdfs://nn:9870/dir, kafka://topic', '-')
    .option('--checkpoint-dir <uri>', 'where checkpoints and savepoints go (file:// or webhdfs://)')
    .option('--checkpoint-interval <duration>', 'time between checkpoints (and between output publishes)', '1m')
    .option('--from-savepoint <uri|latest>', 'restore from a savepoint file, or the newest in --checkpoint-dir')
    .option('--stop-at-live', 'stop, with every session fired, once each partition reaches the end offset Kafka had at its switch', false)
    .option('--prefetch <n>', 'archive files read ahead concurrently', '4')
    .addOption(new Option('--on-gap <policy>', 'offsets in neither the archive nor Kafka: stop, or skip and report').choices(['error', 'warn']).default('error'))
    .addOption(new Option('--on-corrupt <policy>', 'a corrupt archive file: stop naming it, or skip and report').choices(['error', 'skip']).default('error'))
    .option('--idle-timeout <duration>', 'a Kafka partition silent this long stops holding the watermark back', '1m')
    .option('--bound <duration>', 'out-of-orderness bound: watermark = max event time seen - bound (Kafka phase, end of archive)', '30s')
    .option('--dead-letter <file>', 'write records without a usable key or event time here (JSONL)')
    .option('--progress-interval <duration>', 'time between progress updates', '1s')
    .option(...DATANODES_OPTION)
    .action(async (opts: SessionsOptions, command: Command) => {
      await runSessions(opts, ctx, command.getOptionValueSource('eventTime') !== 'default');
    });
}

async function openArchive(opts: SessionsOptions): Promise<{ catalog: ArchiveCatalog | null; topic: string | null; partitions: number[] }> {
  if (!opts.archive) return { catalog: null, topic: opts.topic ?? null, partitions: [] };
  const { fs, root } = storageOpener(opts)(opts.archive);
  let topic = opts.topic ?? null;
  if (topic === null) {
    const topics = await listTopics(fs, root);
    if (topics.length !== 1) {
      throw new UsageError(topics.length === 0
        ? `--archive ${opts.archive}: no topics/ folder with archived topics there; check the path`
        : `--archive ${opts.archive} holds topics ${topics.join(', ')}; choose one with --topic`);
    }
    topic = topics[0]!;
  }
  const formats = formatRegistry([parquetFormat, jsonlGzFormat]);
  return { catalog: archiveCatalog(fs, root, topic, formats), topic, partitions: await listTopicPartitions(fs, root, topic) };
}

async function loadRestore(opts: SessionsOptions, store: CheckpointStore | null): Promise<{ path: string; checkpoint: Checkpoint } | null> {
  if (!opts.fromSavepoint) return null;
  if (opts.fromSavepoint === 'latest') {
    if (!store) throw new UsageError('--from-savepoint latest needs --checkpoint-dir to look in');
    const latest = await store.latest();
    if (!latest) {
      log.info('no checkpoint yet in --checkpoint-dir; starting from the beginning', { dir: store.dir });
      return null;
    }
    return latest;
  }
  const { fs, root } = storageOpener(opts)(opts.fromSavepoint);
  return { path: opts.fromSavepoint, checkpoint: await readCheckpoint(fs, root) };
}

/**
 * The job's event-time definition: the one given (`--event-time`, or its old spelling `--time-field`), else the one the
 * archive's files record, else the default. An archive recording two definitions mixes clocks: refused.
 */
async function chooseEventTime(opts: SessionsOptions, explicit: boolean, catalog: ArchiveCatalog | null, partitions: number[]): Promise<EventTimeDefinition> {
  if (opts.timeField !== undefined && explicit && opts.timeField !== opts.eventTime) {
    throw new UsageError(`--time-field ${opts.timeField} and --event-time ${opts.eventTime} disagree; --time-field is the old spelling of --event-time, give one`);
  }
  if (opts.timeField !== undefined) return parseEventTimeDefinition(opts.timeField, '--time-field');
  if (explicit || catalog === null) return parseEventTimeDefinition(opts.eventTime);
  const recorded = [...(await recordedEventTimes(catalog, partitions))];
  if (recorded.length > 1) {
    throw new UsageError(`--archive ${opts.archive}: its files record different event-time definitions (${recorded.join(', ')}); an archive must be written in one clock`);
  }
  if (recorded.length === 1) log.info('event time as the archive records it', { eventTime: recorded[0] });
  return parseEventTimeDefinition(recorded[0] ?? DEFAULT_EVENT_TIME);
}

async function runSessions(opts: SessionsOptions, ctx: CliContext, eventTimeGiven: boolean): Promise<void> {
  if (!opts.archive && !opts.brokers) throw new UsageError('give --archive URI, --brokers HOST:PORT with --topic, or both');
  // The engine options read as `oxbow sessionize` reads them, so both commands accept the same values.
  const gapMs = parseDuration(opts.gap, '--gap');
  if (gapMs < 1) throw new UsageError(`--gap: '${opts.gap}' must be at least 1ms`);
  if (opts.keyField === '') throw new UsageError('--key-field: give a field name');
  const maxAheadMs = parseDuration(opts.maxEventTimeAhead, '--max-event-time-ahead');
  const aggregate = createAggregate(opts.aggregate, opts.playlist === undefined ? {} : { playlist: opts.playlist });
  const engineOptions: SessionEngineOptions = {
    gapMs,
    allowedLatenessMs: parseDuration(opts.allowedLateness, '--allowed-lateness'),
    trigger: parseTriggerSpec(opts.trigger, '--trigger'),
    purging: opts.purging,
    retractions: opts.retractions,
    aggregate,
    coPartitioned: opts.coPartitioned,
  };
  const checkpointIntervalMs = parseDuration(opts.checkpointInterval, '--checkpoint-interval');
  const boundMs = parseDuration(opts.bound, '--bound');
  const idleTimeoutMs = parseDuration(opts.idleTimeout, '--idle-timeout');
  const progressIntervalMs = parseDuration(opts.progressInterval, '--progress-interval');
  const prefetch = positiveInt(opts.prefetch, '--prefetch');
  if (opts.stopAtLive && !opts.brokers) throw new UsageError('--stop-at-live needs --brokers (without Kafka the replay stops at the archive\'s end anyway)');

  const archive = await openArchive(opts);
  const topic = archive.topic;
  if (!topic) throw new UsageError('--topic: name the topic to read from Kafka');
  let kafka: Kafka | null = null;
  let kafkaPartitions: number[] = [];
  if (opts.brokers) {
    kafka = createKafka({ brokers: opts.brokers, clientId: 'oxbow-sessions' });
    if (!opts.partitions) kafkaPartitions = await listKafkaPartitions(kafka, opts.brokers, topic);
  }
  const partitions = opts.partitions
    ? parsePartitionSpec(opts.partitions)
    : [...new Set([...archive.partitions, ...kafkaPartitions])].sort((a, b) => a - b);
  if (partitions.length === 0) {
    throw new UsageError(`topic ${topic}: no partitions found in ${opts.archive ?? 'the archive'}${opts.brokers ? ' or Kafka' : ''}; check --archive/--topic or give --partitions`);
  }

  const eventTime = await chooseEventTime(opts, eventTimeGiven, archive.catalog, partitions);
  const store = opts.checkpointDir ? (() => { const { fs, root } = storageOpener(opts)(opts.checkpointDir); return new CheckpointStore(fs, root); })() : null;
  const restored = await loadRestore(opts, store);
  if (restored) checkCheckpointFits(restored.path, restored.checkpoint, topic, partitions);

  let sink: OutputSink;
  if (opts.output === '-') sink = new StreamSink(ctx.stdout);
  else if (opts.output.startsWith('kafka://')) {
    if (!kafka || !opts.brokers) throw new UsageError('--output kafka://TOPIC needs --brokers');
    const outTopic = opts.output.slice('kafka://'.length);
    if (!outTopic) throw new UsageError('--output kafka://TOPIC: the topic name is missing');
    sink = new KafkaSink(kafka, opts.brokers, outTopic);
  } else {
    const { fs, root } = storageOpener(opts)(opts.output);
    sink = new FileSink(fs, root);
  }
  if (restored) await sink.recover(restored.checkpoint.sink);
  else await sink.checkFresh();

  const lateOut = opts.lateOutput ? createWriteStream(opts.lateOutput, { flags: 'a' }) : null;
  const deadLetter = opts.deadLetter ? createWriteStream(opts.deadLetter, { flags: 'a' }) : null;
  const engineSink: SessionSink = {
    result: (r) => sink.write({ type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result }),
    retraction: (r) => sink.write({ type: 'retraction', key: r.key, partition: r.partition, start: r.start, end: r.end }),
    late: (partition, key, ts, event) => { if (lateOut) writeLine(lateOut, JSON.stringify({ partition, key, ts, event })); },
  };
  const engine = restored && restored.checkpoint.engine !== null
    ? SessionEngine.restore(restored.checkpoint.engine, engineOptions, engineSink, restored.path)
    : new SessionEngine(engineOptions, engineSink);

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info(`${signal}: stopping with a savepoint`);
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const source = new HybridSource({
    topic,
    partitions,
    archive: archive.catalog,
    live: kafka && opts.brokers ? new KafkaPartitionReader({ kafka, brokers: opts.brokers, topic }) : null,
    positions: restored ? new Map(restored.checkpoint.positions.map((p) => [p.partition, p.nextOffset])) : undefined,
    watermarks: restored?.checkpoint.watermarks,
    boundMs,
    idleTimeoutMs,
    prefetch,
    onGap: opts.onGap,
    onCorrupt: opts.onCorrupt,
    stopAtLive: opts.stopAtLive,
    eventTime: eventTime.text,
    decode: createDecoder({ keyField: opts.keyField, eventTime, maxAheadMs, check: aggregate.check?.bind(aggregate) }),
    signal: controller.signal,
  });

  const stderr = ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  const tty = stderr.isTTY === true;
  let lastLogged = 0;
  const job = new SessionsJob({
    topic,
    partitions,
    source,
    engine,
    sink,
    store,
    checkpointIntervalMs,
    restoredFrom: restored?.checkpoint ?? null,
    progressIntervalMs,
    signal: controller.signal,
    engineStats: () => {
      const s = engine.stats();
      return { results: s.results, retractions: s.retractions, lateEvents: s.lateEvents };
    },
    onBadRecord: (bad: BadRecord) => {
      if (deadLetter) {
        writeLine(deadLetter, JSON.stringify({
          topic: bad.topic, partition: bad.partition, offset: bad.offset.toString(), reason: bad.reason, timestamp: bad.record.timestamp,
          key: bad.record.key ? Buffer.from(bad.record.key).toString('utf8') : null,
          value: bad.record.value ? Buffer.from(bad.record.value).toString('utf8') : null,
        }));
      }
    },
    onProgress: (p) => {
      if (tty) stderr.write(`\r\x1b[K${progressLine(p)}`);
      else if (Date.now() - lastLogged >= Math.max(progressIntervalMs, 10_000) || p.phase === 'done') {
        lastLogged = Date.now();
        log.info('progress', { files: `${p.filesDone}/${p.filesTotal}`, records: p.records, perSecond: p.eventsPerSecond, watermark: fmtTime(p.watermark), phases: p.partitions.map((x) => `${x.partition}:${x.phase}`).join(',') });
      }
    },
  });
  if (restored) {
    log.info('restored', { from: restored.path, positions: restored.checkpoint.positions.map((p) => `${p.partition}:${p.source}@${p.nextOffset ?? '-'}`).join(',') });
  }
  log.debug('starting', { topic, partitions: partitions.join(','), gap: formatDuration(gapMs), bound: formatDuration(boundMs) });
  try {
    const summary = await job.run();
    if (tty) stderr.write('\n');
    stderr.write(summaryText(summary));
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await closeStream(lateOut);
    await closeStream(deadLetter);
  }
}
