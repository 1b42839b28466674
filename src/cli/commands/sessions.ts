// `oxbow sessions`: replay the archive in event time into session windows, then carry on over live Kafka from exactly where
// the archive ends. This file maps flags to the job's specs and ports (src/job/assemble.ts builds and runs the path).

import { KAFKA_CONFIG_OPTION } from '../kafka-client.js';
import { type Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { DEFAULT_EVENT_TIME, KAFKA_TIMESTAMP } from '../../event-time.js';
import { THREADS_AND_PROFILES } from '../../engine/sharded-engine.js';
import { assembleSessionsJob, type SessionsJobSpec } from '../../job/assemble.js';
import { DEFAULT_MAX_AHEAD_MS } from '../../job/decode.js';
import { MAX_BAD_RATIO_OPTION, parseBadRatio } from '../../job/bad-ratio.js';
import { jobRestarts, restartsAfter, type BadRecord } from '../../job/sessions-job.js';
import { enableHeapPacing, heapPacingStats } from '../../heap-pacer.js';
import { getLogger } from '../../logger.js';
import { retry } from '../../retry.js';
import { formatDuration, parseCount, parseDuration } from '../../time.js';
import type { CliContext } from '../context.js';
import { fileWriter, type LineWriter } from '../line-writer.js';
import { openSessionsPorts, type OpenedPorts, type SessionsPortFlags } from '../sessions-ports.js';
import { runParallelSessions } from '../parallel-sessions.js';
import { METRICS_OPTION, openMetrics } from '../metrics.js';
import { jobMetrics, reportJob } from '../sessions-report.js';
import { archiveLayoutOptions, DATANODES_OPTION, WEBHDFS_CA_OPTION, WEBHDFS_TOKEN_OPTION } from '../storage.js';
import { type WindowFlags, windowsFromFlags, withWindowFlags } from '../window-flags.js';

const log = getLogger('sessions');

export interface SessionsFlags extends SessionsPortFlags, WindowFlags {
  workers: string;
  group?: string;
  sessionTimeout: string;
  metrics?: string;
  maxBadRatio: string;
  keyField: string;
  coPartitioned: boolean;
  maxEventTimeAhead: string;
  lateOutput?: string;
  checkpointInterval: string;
  stopAtLive: boolean;
  prefetch: string;
  onGap: 'error' | 'warn';
  onCorrupt: 'error' | 'skip';
  idleTimeout: string;
  bound: string;
  deadLetter?: string;
  progressInterval: string;
  profileFields?: string;
}

export function registerSessions(program: Command, ctx: CliContext): void {
  const command = program
    .command('sessions')
    .description('Replay an archived topic in event-time order into session windows, then switch each partition to live Kafka at the exact offset where its archive ends.')
    .option('--archive <uri>', 'archive root: file:///dir, ./dir or webhdfs://namenode:9870/dir')
    .option('--brokers <list>', 'Kafka brokers host:port[,...]; without it the archive is replayed alone')
    .option('--topic <name>', 'topic to replay (default: the archive\'s only topic)')
    .option('--partitions <spec>', 'partitions to read, e.g. 0-3,7 (default: all the archive and Kafka have)')
    .option('--gap <duration>', 'session gap: events at most this far apart share a session', '30m');
  withWindowFlags(command)
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
    .option('--idle-timeout <duration>', 'a Kafka partition caught up and silent this long stops holding the watermark back', '1m')
    .option('--bound <duration>', 'out-of-orderness bound: watermark = max event time seen - bound - 1 (Kafka phase, end of archive)', '30s')
    .option('--profiles <topic>', 'enrich each session with the profile version valid at its start, from this topic (archive and Kafka; keyed by user)')
    .option('--profile-fields <list>', 'with --profiles: comma-separated profile value fields a result carries (default: all)')
    .option('--profile-time <field|kafka-timestamp>', `with --profiles: time of a profile version (default: the profiles archive's own, else ${DEFAULT_EVENT_TIME}); a tombstone's is its Kafka timestamp`)
    .option('--dead-letter <file>', 'write records without a usable key or event time here (JSONL)')
    .option('--workers <n>', 'with --co-partitioned: worker processes, each owning whole partitions; without: engine threads, each owning the keys that hash to it (docs/scaling.md)', '1')
    .option('--group <id>', 'share the job among every process started with this Kafka consumer group (needs --co-partitioned and --checkpoint-dir)')
    .option('--session-timeout <duration>', 'with --group: how long a silent process keeps its partitions before the others take them', '10s')
    .option(...MAX_BAD_RATIO_OPTION)
    .option(...METRICS_OPTION)
    .option('--progress-interval <duration>', 'time between progress updates', '1s')
    .addOption(archiveLayoutOptions()[0]!)
    .addOption(archiveLayoutOptions()[1]!)
    .option(...KAFKA_CONFIG_OPTION)
    .option(...DATANODES_OPTION)
    .option(...WEBHDFS_CA_OPTION)
    .option(...WEBHDFS_TOKEN_OPTION)
    .action(async (flags: SessionsFlags, cmd: Command) => {
      await runSessions(flags, ctx, cmd.getOptionValueSource('eventTime') !== 'default');
    });
}

/**
 * Whether a run that failed on something that may pass (storage or Kafka out of reach: a retriable error) starts again
 * in this process from its newest checkpoint: it needs the checkpoints, and an output whose restore does not repeat what
 * it published (a folder drops what it had not published; Kafka records are keyed, so a result sent again replaces
 * itself). Results on stdout cannot be taken back, so such a run stops instead (docs/sessions.md, "Storage outages").
 */
export function restartable(flags: Pick<SessionsFlags, 'checkpointDir' | 'output'>): boolean {
  return flags.checkpointDir !== undefined && flags.output !== '-';
}

/** A dead letter: where the record came from, why it is one, and its key and value as text. */
function deadLetterLine(bad: BadRecord): string {
  const text = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('utf8') : null);
  return JSON.stringify({ topic: bad.topic, partition: bad.partition, offset: bad.offset.toString(), reason: bad.reason, timestamp: bad.record.timestamp, key: text(bad.record.key), value: text(bad.record.value) });
}

/** The flags read and checked before anything is opened, shared with each worker of a parallel job (parallel-sessions.ts). */
export function readSessionsFlags(flags: SessionsFlags) {
  if (!flags.archive && !flags.brokers) throw new UsageError('give --archive URI, --brokers HOST:PORT with --topic, or both');
  if (flags.stopAtLive && !flags.brokers) throw new UsageError('--stop-at-live needs --brokers (without Kafka the replay stops at the archive\'s end anyway)');
  if (flags.keyField === '') throw new UsageError('--key-field: give a field name');
  if (flags.profiles === undefined && (flags.profileFields !== undefined || flags.profileTime !== undefined)) {
    throw new UsageError(`${flags.profileFields !== undefined ? '--profile-fields' : '--profile-time'} needs --profiles TOPIC`);
  }
  const profileFields = flags.profileFields?.split(',').map((f) => f.trim());
  if (profileFields?.some((f) => f === '')) throw new UsageError(`--profile-fields ${flags.profileFields}: give comma-separated field names`);
  const windows = windowsFromFlags(flags, flags.coPartitioned);
  const durations = {
    maxAheadMs: parseDuration(flags.maxEventTimeAhead, '--max-event-time-ahead'),
    checkpointIntervalMs: parseDuration(flags.checkpointInterval, '--checkpoint-interval'),
    boundMs: parseDuration(flags.bound, '--bound'),
    idleTimeoutMs: parseDuration(flags.idleTimeout, '--idle-timeout'),
    progressIntervalMs: parseDuration(flags.progressInterval, '--progress-interval'),
  };
  const prefetch = parseCount(flags.prefetch, '--prefetch');
  const maxBadRatio = parseBadRatio(flags.maxBadRatio);
  return { windows, durations, prefetch, maxBadRatio, profileFields };
}

/** The job's spec from its checked flags and what was opened (the topic, its partitions, the event time, the profiles). */
export function sessionsSpec(
  flags: SessionsFlags, read: ReturnType<typeof readSessionsFlags>,
  ports: Pick<OpenedPorts, 'topic' | 'partitions' | 'eventTime'> & { profiles?: OpenedPorts['profiles'] },
): SessionsJobSpec {
  const { windows, durations, prefetch, maxBadRatio, profileFields } = read;
  return {
    topic: ports.topic, partitions: ports.partitions, windows, event: { keyField: flags.keyField, eventTime: ports.eventTime, maxAheadMs: durations.maxAheadMs },
    boundMs: durations.boundMs, idleTimeoutMs: durations.idleTimeoutMs, prefetch, onGap: flags.onGap, onCorrupt: flags.onCorrupt,
    stopAtLive: flags.stopAtLive, checkpointIntervalMs: durations.checkpointIntervalMs, progressIntervalMs: durations.progressIntervalMs, maxBadRatio,
    ...(ports.profiles ? { profiles: { topic: ports.profiles.topic, partitions: ports.profiles.partitions, eventTime: ports.profiles.eventTime, fields: profileFields } } : {}),
  };
}

async function runSessions(flags: SessionsFlags, ctx: CliContext, eventTimeGiven: boolean): Promise<void> {
  // Every flag is read before anything is opened.
  const read = readSessionsFlags(flags);
  const workers = parseCount(flags.workers, '--workers');
  // Worker processes own whole partitions (--co-partitioned); otherwise --workers runs the engine in threads.
  const engineThreads = workers > 1 && !flags.coPartitioned && flags.group === undefined ? workers : 1;
  if (engineThreads === 1 && (workers > 1 || flags.group !== undefined)) {
    await runParallelSessions(flags, { workers, eventTimeGiven, read }, ctx);
    return;
  }
  if (engineThreads > 1 && flags.profiles !== undefined) {
    throw new UsageError(THREADS_AND_PROFILES);
  }
  // A replay of a year must peak where one of a month does (src/heap-pacer.ts).
  if (!enableHeapPacing()) log.debug('heap pacing off (OXBOW_HEAP_PACING=off, or no gc() in this Node); peak memory may grow with the replay\'s length');
  if (engineThreads > 1) log.info('engine threads', { threads: engineThreads, keys: 'by hash of the session key' });
  const { durations } = read;
  const late: LineWriter | null = flags.lateOutput ? fileWriter(flags.lateOutput, true) : null;
  const dead: LineWriter | null = flags.deadLetter ? fileWriter(flags.deadLetter, true) : null;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info(`${signal}: stopping with a savepoint`);
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let metrics: Awaited<ReturnType<typeof openMetrics>> = null;
  // Whether a job ran (a failure before that, such as storage out of reach at the start, is not restarted: it is more
  // often a wrong address than an outage); the newest checkpoint any run of this command wrote; whether the last failed
  // run checkpointed records it read.
  let ran = false;
  let newest: string | null = null;
  let progressed = false;
  try {
    metrics = await openMetrics(flags.metrics);
    const registry = metrics?.registry ?? null;
    const runOnce = async (attempt: number): Promise<void> => {
      progressed = false;
      // A restart continues from the newest checkpoint this command wrote; before the first, as the command began.
      const attemptFlags = attempt > 0 && newest !== null ? { ...flags, fromSavepoint: 'latest' } : flags;
      const ports = await openSessionsPorts(attemptFlags, ctx.stdout, eventTimeGiven);
      const closeReaders = async (): Promise<void> => {
        await ports.live?.close().catch(() => {});
        await ports.profiles?.live?.close().catch(() => {});
      };
      const spec: SessionsJobSpec = {
        ...sessionsSpec(attemptFlags, read, ports),
        ...(engineThreads > 1 ? { engineThreads: { count: engineThreads, aggregate: { name: flags.aggregate, options: flags.playlist === undefined ? {} : { playlist: flags.playlist } } } } : {}),
      };
      const job = await assembleSessionsJob(spec, {
        ...ports,
        onLate: late ? (partition, key, ts, event) => late.line(JSON.stringify({ partition, key, ts, event })) : undefined,
        onBadRecord: dead ? (bad) => dead.line(deadLetterLine(bad)) : undefined,
        signal: controller.signal,
      }).catch(async (err: unknown) => {
        // Nothing ran: the live readers' clients are closed here, not by the source.
        await closeReaders();
        throw err;
      });
      if (ports.restore) {
        log.info('restored', { from: ports.restore.path, positions: ports.restore.checkpoint.positions.map((p) => `${p.partition}:${p.source}@${p.nextOffset ?? '-'}`).join(',') });
      }
      reportJob(job, ctx.stderr, durations.progressIntervalMs);
      if (registry) jobMetrics(job, ports.topic, registry);
      ran = true;
      try {
        await job.run();
      } catch (err) {
        progressed = job.checkpointedProgress;
        newest = job.newestCheckpoint ?? newest;
        // The source closes its Kafka readers once it has read Kafka; before that only their threads are there.
        await closeReaders();
        throw err;
      }
    };
    if (!restartable(flags)) await runOnce(0);
    else {
      await retry(({ attempt }) => runOnce(attempt), jobRestarts({
        ran: () => ran,
        progressed: () => progressed,
        signal: controller.signal,
        onRestart: ({ error, attempt, delayMs }) => log.warn(`the job failed; restarting from ${newest === null ? 'its start' : 'its newest checkpoint'}`, {
          restart: attempt, inMs: delayMs, ...(newest === null ? {} : { checkpoint: newest }), error: error instanceof Error ? error.message : String(error),
        }),
      }));
    }
    log.debug('heap pacing', { ...heapPacingStats() });
  } catch (err) {
    if (newest !== null && restartsAfter(err)) {
      log.warn('the job stopped; its newest checkpoint is kept: the same command with --from-savepoint latest continues from it', { checkpoint: newest });
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await metrics?.close();
    await late?.close(true);
    await dead?.close(true);
  }
}
