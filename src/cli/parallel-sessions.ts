// `oxbow sessions --workers N` and `--group ID` (docs/scaling.md): the command forks N worker processes
// (sessions-worker.ts), each owning whole partitions, and reports for all of them: one progress line and one summary.
// Without --group the partitions are dealt out once; with it each worker is a member of the Kafka consumer group and
// the group deals them out among every worker of every command that joined it. Workers are processes, not threads:
// each writes sessions straight to the command's stdout, and two of them reached 1.16 times one job on 2 cores where two
// threads reached 1.10 (docs/scaling.md, "Measured here").

import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createExclusively, joinPath } from '../archive-fs.js';
import { NotFoundError, PartitionConflict, UsageError, WorkerFailure } from '../errors.js';
import type { JobProgress, JobSummary } from '../job/types.js';
import { getLogger, logSettings } from '../logger.js';
import { parseDuration } from '../time.js';
import type { readSessionsFlags, SessionsFlags } from './commands/sessions.js';
import type { CliContext } from './context.js';
import { summaryText } from './sessions-report.js';
import { openParallelPorts, type ParallelPorts } from './sessions-ports.js';
import { CheckpointStore } from '../checkpoint/store.js';
import type { SessionWindows } from '../engine/window-spec.js';
import { splitCheckpoint } from '../job/partition-jobs.js';
import { FileSink } from '../sink/file-sink.js';
import { statusLine } from './status-line.js';
import { storageOpener } from './storage.js';

const log = getLogger('sessions');

/** What each worker is started with (its first message). */
export interface WorkerData {
  flags: SessionsFlags;
  eventTimeGiven: boolean;
  index: number;
  /** Without --group: the partitions this worker owns for the whole run. */
  partitions: number[] | null;
  /** With --group: the consumer group that deals out the partitions. */
  group: string | null;
  sessionTimeoutMs: number;
  /** The process's log level and line format. */
  log: ReturnType<typeof logSettings>;
}

/** What a worker tells the process. */
export type WorkerMessage =
  | { type: 'owned'; partitions: number[] }
  | { type: 'progress'; partition: number; progress: JobProgress }
  | { type: 'ended'; partition: number; summary: JobSummary | null }
  | { type: 'fenced'; partition: number; message: string }
  | { type: 'failed'; name: string; message: string; exitCode: number }
  /** The worker's peak resident set, for the summary. */
  | { type: 'done'; peakRssMb: number };

/** Flags a parallel job does not take yet, and why. */
const NOT_PARALLEL: [keyof SessionsFlags, string][] = [
  ['profiles', '--profiles'], ['fromSavepoint', '--from-savepoint (each partition continues from its newest checkpoint in --checkpoint-dir)'],
  ['lateOutput', '--late-output'], ['deadLetter', '--dead-letter'], ['metrics', '--metrics'],
];

/**
 * The options every process of one job must share, as the checkpoint folder records them (`job.json`): what decides
 * the results and where they go.
 */
const JOB_OPTIONS: [keyof SessionsFlags, string][] = [
  ['archive', '--archive'], ['topic', '--topic'], ['output', '--output'], ['group', '--group'], ['keyField', '--key-field'],
  ['eventTime', '--event-time'], ['gap', '--gap'], ['allowedLateness', '--allowed-lateness'], ['trigger', '--trigger'],
  ['purging', '--purging'], ['retractions', '--retractions'], ['aggregate', '--aggregate'], ['playlist', '--playlist'],
  ['maxEventTimeAhead', '--max-event-time-ahead'], ['bound', '--bound'], ['onGap', '--on-gap'], ['onCorrupt', '--on-corrupt'],
  ['stopAtLive', '--stop-at-live'], ['archiveLayout', '--archive-layout'], ['offsetField', '--offset-field'],
];
const JOB_FORMAT = 'oxbow-parallel-job';
const JOB_VERSION = 1;

export async function runParallelSessions(
  flags: SessionsFlags,
  o: { workers: number; eventTimeGiven: boolean; read: ReturnType<typeof readSessionsFlags> },
  ctx: CliContext,
): Promise<void> {
  const what = flags.group !== undefined ? `--group ${flags.group}` : `--workers ${o.workers}`;
  if (!flags.coPartitioned) {
    throw new UsageError(`${what}: each worker owns whole partitions, so every session key must live in one partition: pass --co-partitioned ` +
      '(verified while running), or make a copy of the topic keyed by the session key (docs/scaling.md, "Topics not keyed by the session key")');
  }
  for (const [flag, name] of NOT_PARALLEL) {
    if (flags[flag] !== undefined) throw new UsageError(`${what}: ${name} is not available in a parallel job yet; run without ${flags.group !== undefined ? '--group' : '--workers'}`);
  }
  if (flags.group !== undefined) {
    if (flags.group === '') throw new UsageError('--group: give a consumer group id');
    if (!flags.brokers) throw new UsageError(`${what} needs --brokers: the Kafka consumer group deals out the partitions`);
    if (!flags.checkpointDir) throw new UsageError(`${what} needs --checkpoint-dir on storage every process reaches: a partition that moves continues from its checkpoint`);
  }
  const sessionTimeoutMs = parseDuration(flags.sessionTimeout, '--session-timeout');
  if (sessionTimeoutMs < 6000 || sessionTimeoutMs > 300_000) throw new UsageError(`--session-timeout ${flags.sessionTimeout}: give 6s to 5m (Kafka's group.min/max.session.timeout.ms)`);
  // The workers start (a process each, loading oxbow) while this one opens the input; they wait for what to run.
  const spawned = Array.from({ length: o.workers }, () =>
    // Sessions on stdout go straight to this command's stdout; log lines to its stderr.
    fork(new URL('./sessions-worker.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' }));
  let ports: Awaited<ReturnType<typeof openParallelPorts>>;
  try {
    // Opened once here to learn the partitions and to refuse bad options before any worker runs.
    ports = await openParallelPorts(flags, ctx.stdout, o.eventTimeGiven);
    if (flags.checkpointDir) {
      await checkJobFile(flags);
      await adoptWholeJobCheckpoint(flags, ports, o.read.windows);
    }
  } catch (err) {
    // A worker never told what to run ends once its channel closes.
    for (const w of spawned) w.disconnect();
    throw err;
  }
  const count = flags.group !== undefined ? o.workers : Math.min(o.workers, ports.partitions.length);
  for (const w of spawned.slice(count)) w.disconnect();
  log.info('parallel job', { topic: ports.topic, partitions: ports.partitions.join(','), workers: count, ...(flags.group !== undefined ? { group: flags.group } : {}) });

  const report = new ProcessReport(ctx.stderr, o.read.durations.progressIntervalMs, flags.checkpointDir ?? null);
  const workers: ChildProcess[] = [];
  const finished: Promise<void>[] = [];
  let failure: { name: string; message: string; exitCode: number } | null = null;
  const stopAll = (): void => {
    // A worker that is gone, or going, has nothing to stop: the failed send is dropped (not an 'error' event, which
    // would ask every worker to stop again).
    for (const w of workers) if (w.connected && w.exitCode === null) w.send({ type: 'stop' }, () => {});
  };
  // What this process found out (the topic, its partitions, the event time the archive records) each worker need not
  // find out again: opening reads every partition's index to learn the event time.
  const found: SessionsFlags = { ...flags, topic: ports.topic, partitions: ports.partitions.join(','), eventTime: ports.eventTime.text, timeField: undefined };
  for (let i = 0; i < count; i++) {
    const data: WorkerData = {
      flags: found, eventTimeGiven: true, index: i, sessionTimeoutMs, log: logSettings(),
      partitions: flags.group !== undefined ? null : ports.partitions.filter((_, k) => k % count === i),
      group: flags.group ?? null,
    };
    const worker = spawned[i]!;
    worker.send({ type: 'start', data }, (err) => {
      if (err) failure ??= { name: err.name, message: `worker ${i} could not be started: ${err.message}`, exitCode: 1 };
    });
    workers.push(worker);
    finished.push(new Promise((resolve) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'failed') {
          if (!failure) {
            failure = m;
            // One worker failed: the others stop with savepoints, and the process exits naming the failure.
            stopAll();
          }
        } else report.on(i, m);
      });
      // Not started, or not signalled: its exit (below) ends it; the others stop.
      worker.on('error', (err) => {
        if (failure) return;
        failure = { name: err.name, message: `worker ${i}: ${err.message}`, exitCode: 1 };
        stopAll();
      });
      worker.on('exit', (code, signal) => {
        // A worker that died without saying why (killed, out of memory) fails the command too.
        if (code !== 0 && !failure) {
          failure = { name: 'WorkerExit', message: `worker ${i} ended with ${signal ?? `exit code ${code}`} before finishing; its partitions continue from their checkpoints on the next run`, exitCode: 1 };
          stopAll();
        }
        resolve();
      });
    }));
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl-C reaches the workers too; a signal sent to this process alone reaches them through this.
    log.info(`${signal}: stopping every worker with a savepoint`);
    report.stoppedBySignal = true;
    stopAll();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.all(finished);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  report.end();
  const failed = failure as { name: string; message: string; exitCode: number } | null;
  if (failed) throw new WorkerFailure(failed.message, failed.exitCode);
}

/**
 * `job.json` in the checkpoint folder: written by the first process of a job, compared by every later one. A process
 * with other options, or another job pointed at the same folder, is refused naming the first difference.
 */
async function checkJobFile(flags: SessionsFlags): Promise<void> {
  const { fs, root } = storageOpener(flags)(flags.checkpointDir!);
  const path = joinPath(root, 'job.json');
  const options = Object.fromEntries(JOB_OPTIONS.map(([k]) => [k, flags[k] ?? null]));
  const mine = JSON.stringify({ format: JOB_FORMAT, version: JOB_VERSION, options }, null, 2) + '\n';
  let text: string | null = null;
  try {
    text = Buffer.from(await fs.readFile(path)).toString('utf8');
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  if (text === null) {
    if (await createExclusively(fs, path, new TextEncoder().encode(mine), joinPath(root, `.job-${randomUUID()}.json`))) return;
    // Another process wrote it first: compare with what it wrote.
    text = Buffer.from(await fs.readFile(path)).toString('utf8');
  }
  let theirs: { format?: unknown; version?: unknown; options?: Record<string, unknown> };
  try {
    theirs = JSON.parse(text) as typeof theirs;
  } catch {
    throw new UsageError(`--checkpoint-dir ${flags.checkpointDir}: its job.json is not JSON; give the folder of this job, or an empty one`);
  }
  if (theirs.format !== JOB_FORMAT || typeof theirs.version !== 'number' || theirs.version > JOB_VERSION || typeof theirs.options !== 'object') {
    throw new UsageError(`--checkpoint-dir ${flags.checkpointDir}: its job.json is not a parallel job's (format ${JOB_FORMAT}, version ≤ ${JOB_VERSION}); give an empty folder`);
  }
  for (const [key, name] of JOB_OPTIONS) {
    const was = theirs.options![key] ?? null;
    const is = options[key] ?? null;
    if (JSON.stringify(was) !== JSON.stringify(is)) {
      throw new UsageError(`--checkpoint-dir ${flags.checkpointDir} belongs to a job started with ${name} ${JSON.stringify(was)}; this process has ${JSON.stringify(is)}. ` +
        'Every process of one job takes the same options; another job needs its own --checkpoint-dir');
    }
  }
}

/**
 * A checkpoint folder that holds a single job's checkpoints (`oxbow sessions` without workers) and no partition's yet:
 * the parallel job continues from the newest of them. Its pending output part is published first (a folder output's
 * earlier parts stay where they are, beside the new `partition-<p>/` folders); then each partition gets its share of
 * it as its first checkpoint. A process of the same group doing the same at the same moment writes the same ids: the
 * second write is refused and the first one's stands.
 */
async function adoptWholeJobCheckpoint(flags: SessionsFlags, ports: ParallelPorts, windows: SessionWindows): Promise<void> {
  const { fs, root } = storageOpener(flags)(flags.checkpointDir!);
  const whole = await new CheckpointStore(fs, root).latest();
  if (!whole) return;
  for (const p of ports.partitions) if (await ports.store(p)!.latest()) return;
  if (whole.checkpoint.topic !== ports.topic) {
    throw new UsageError(`--checkpoint-dir ${flags.checkpointDir} holds checkpoints of topic ${whole.checkpoint.topic}, not ${ports.topic}; give this job its own folder`);
  }
  const shares = splitCheckpoint(whole.checkpoint, whole.path, windows);
  if (flags.output !== '-' && !flags.output.startsWith('kafka://')) {
    const out = storageOpener(flags)(flags.output);
    await new FileSink(out.fs, out.root).recover(whole.checkpoint.sink, whole.checkpoint.id);
  }
  for (const share of shares) {
    const store = ports.store(share.partitions[0]!);
    if (!store) continue;
    await store.write(share).catch((err: unknown) => {
      if (!(err instanceof PartitionConflict)) throw err;
    });
  }
  log.info('continuing from a single job\'s checkpoint, one share per partition', { from: whole.path, partitions: shares.map((c) => c.partitions[0]).join(',') });
}

/** The process's view of its workers: one progress line, log lines for moves, and one summary summed over partitions. */
class ProcessReport {
  private readonly line;
  private readonly owned = new Map<number, number[]>();
  private readonly progress = new Map<number, JobProgress>();
  private readonly summaries = new Map<number, JobSummary>();
  private fenced = 0;
  private readonly peakRssMb = new Map<number, number>();
  private lastShown = 0;
  private lastLogged = 0;
  private readonly startedAt = Date.now();
  stoppedBySignal = false;

  constructor(private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean }, private readonly intervalMs: number, private readonly checkpointDir: string | null) {
    this.line = statusLine(stderr);
  }

  on(worker: number, m: WorkerMessage): void {
    if (m.type === 'owned') {
      this.owned.set(worker, m.partitions);
      log.info('worker owns partitions', { worker, partitions: m.partitions.join(',') || '-' });
    } else if (m.type === 'progress') {
      this.progress.set(m.partition, m.progress);
      this.show();
    } else if (m.type === 'ended') {
      if (m.summary) this.summaries.set(m.partition, m.summary);
    } else if (m.type === 'done') {
      this.peakRssMb.set(worker, m.peakRssMb);
    } else if (m.type === 'fenced') {
      this.fenced++;
      log.info('partition taken over by another owner', { worker, partition: m.partition });
    }
  }

  private text(): string {
    const all = [...this.progress.values()];
    const records = all.reduce((n, p) => n + p.records, 0);
    const perSecond = all.reduce((n, p) => n + p.eventsPerSecond, 0);
    const workers = [...this.owned].sort(([a], [b]) => a - b).map(([w, ps]) => `w${w}:${ps.join(',') || '-'}`).join(' ');
    return `${records} records  ${perSecond}/s  partitions by worker [${workers}]`;
  }

  private show(): void {
    const now = Date.now();
    if (now - this.lastShown < this.intervalMs) return;
    this.lastShown = now;
    if (this.line.tty) this.line.show(this.text());
    else if (now - this.lastLogged >= Math.max(this.intervalMs, 10_000)) {
      this.lastLogged = now;
      log.info('progress', { status: this.text() });
    }
  }

  end(): void {
    this.line.end();
    const s = [...this.summaries.values()];
    const sum = (f: (x: JobSummary) => number) => s.reduce((n, x) => n + f(x), 0);
    const watermarks = s.map((x) => x.watermark).filter((w): w is number => w !== null);
    const total: JobSummary = {
      records: sum((x) => x.records), recordsArchive: sum((x) => x.recordsArchive), recordsKafka: sum((x) => x.recordsKafka),
      events: sum((x) => x.events), badRecords: sum((x) => x.badRecords), results: sum((x) => x.results), retractions: sum((x) => x.retractions),
      lateEvents: sum((x) => x.lateEvents), behindWatermark: sum((x) => x.behindWatermark), filesRead: sum((x) => x.filesRead), duplicatesSkipped: sum((x) => x.duplicatesSkipped),
      gapOffsetsSkipped: s.reduce((n, x) => n + BigInt(x.gapOffsetsSkipped), 0n).toString(), corruptFilesSkipped: sum((x) => x.corruptFilesSkipped),
      checkpoints: sum((x) => x.checkpoints),
      switchPauseMs: s.some((x) => x.switchPauseMs !== null) ? Math.max(...s.map((x) => x.switchPauseMs ?? 0)) : null,
      watermark: watermarks.length ? Math.min(...watermarks) : null, profiles: null,
      stoppedBy: this.stoppedBySignal ? 'signal' : 'end', lastCheckpoint: this.checkpointDir, elapsedMs: Date.now() - this.startedAt,
    };
    this.stderr.write(summaryText(total) + `  ${'partitions ended here'.padEnd(26)} ${[...this.summaries.keys()].sort((a, b) => a - b).join(',') || '-'}\n` +
      `  ${'partitions taken over'.padEnd(26)} ${this.fenced}\n` +
      `  ${'peak RSS'.padEnd(26)} this process ${Math.round(process.resourceUsage().maxRSS / 1024)} MB, workers ${[...this.peakRssMb].sort(([a], [b]) => a - b).map(([, mb]) => Math.round(mb)).join(', ') || '-'} MB\n`);
  }
}
