// One place that builds the sessions job from what it computes (specs) and what it talks to (ports): the restore
// policy, the engine → output adapter, the decoder and the hybrid source. The CLI and the tests run this same path.

import { checkCheckpointFits, type Checkpoint } from '../checkpoint/format.js';
import { SavepointError, UsageError } from '../errors.js';
import { formatDuration } from '../time.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import { SessionEngine } from '../engine/session-engine.js';
import { ShardedEngine, THREADS_AND_PROFILES, type ShardRecipe } from '../engine/sharded-engine.js';
import type { SessionSink } from '../engine/types.js';
import type { SessionWindows } from '../engine/window-spec.js';
import { resultRecord, retractionRecord, type OutputSink } from '../sink/types.js';
import { HybridSource, type HybridSourceOptions } from '../source/hybrid-source.js';
import type { ArchiveCatalog, LiveReader } from '../source/types.js';
import { createDecoder, createProfileDecoder, type EventSpec } from './decode.js';
import { ProfileJoin } from '../join/profile-join.js';
import { MergedSource, PROFILES_POLL_MS } from '../source/merged-source.js';
import type { EventTimeDefinition } from '../event-time.js';
import type { JobEngine, JobSource } from './types.js';
import { SessionsJob, type BadRecord } from './sessions-job.js';

/** What the job computes and how it reads time; nothing here opens a connection. The replay options mean what they mean for the HybridSource. */
export interface SessionsJobSpec extends Pick<HybridSourceOptions, 'boundMs' | 'idleTimeoutMs' | 'prefetch' | 'onGap' | 'onCorrupt' | 'stopAtLive'> {
  topic: string;
  partitions: number[];
  windows: SessionWindows;
  /** Key, event time and impossible-time bound; the aggregate's own check comes from `windows`. */
  event: Omit<EventSpec, 'check'>;
  checkpointIntervalMs: number;
  progressIntervalMs?: number;
  /** More bad records than this share fails the run after its summary (see bad-ratio.ts). Default: no limit. */
  maxBadRatio?: number;
  /**
   * `--profiles`: join each result with the version of this topic valid at its start (docs/sessions.md, "Enrichment"):
   * its partitions, the time of a version (`--profile-time`) and the fields a result carries (undefined: all).
   */
  profiles?: { topic: string; partitions: number[]; eventTime: EventTimeDefinition; fields?: string[] };
  /**
   * `--workers N` on a topic not co-partitioned: the engine runs in N threads, each over the keys that hash to it
   * (src/engine/sharded-engine.ts); a thread rebuilds `windows` with the aggregate named here. Not with `profiles`.
   */
  engineThreads?: { count: number; aggregate: ShardRecipe['aggregate'] };
}

/** What the job reads from and writes to, opened by the caller. */
export interface SessionsJobPorts {
  archive: ArchiveCatalog | null;
  live: LiveReader | null;
  output: OutputSink;
  store: CheckpointStore | null;
  /** With `spec.profiles`: the profiles topic's archive and Kafka reader (null where the job has none). */
  profiles?: { archive: ArchiveCatalog | null; live: LiveReader | null } | null;
  /** The checkpoint to continue from, and where it was read (for messages); null: a fresh start. */
  restore: { path: string; checkpoint: Checkpoint } | null;
  onLate?: (partition: number, key: string, ts: number, event: Record<string, unknown>) => void;
  onBadRecord?: (bad: BadRecord) => void;
  signal?: AbortSignal;
  now?: () => number;
}

/** The engine's results go to the output as output records; late events to `onLate`. */
export function engineToOutput(output: OutputSink, onLate?: SessionsJobPorts['onLate']): SessionSink {
  return {
    result: (r) => output.write(resultRecord(r)),
    retraction: (r) => output.write(retractionRecord(r)),
    late: (partition, key, ts, event) => onLate?.(partition, key, ts, event),
  };
}

/**
 * The job, ready to run. A restore checks that the checkpoint is this job's (topic, partitions, profiles), finishes the
 * output's interrupted publish and continues the engine and every partition from it; a fresh start refuses an output
 * that already holds another run's results.
 */
export async function assembleSessionsJob(spec: SessionsJobSpec, ports: SessionsJobPorts): Promise<SessionsJob> {
  const { restore, output } = ports;
  if (restore) {
    checkCheckpointFits(restore.path, restore.checkpoint, spec.topic, spec.partitions, spec.profiles ?? null);
    if (spec.profiles) checkProfilesWindow(restore.path, restore.checkpoint, spec.windows);
    await output.recover(restore.checkpoint.sink, restore.checkpoint.id);
  } else {
    await output.checkFresh();
  }
  // With profiles the engine's results pass through the join, which needs the engine's open sessions to know which
  // versions can still be needed: it asks through `engine`, set just below.
  if (spec.engineThreads && spec.profiles) throw new UsageError(THREADS_AND_PROFILES);
  let engine: SessionEngine | null = null;
  const join = spec.profiles
    ? new ProfileJoin({
      output, late: (partition, key, ts, event) => ports.onLate?.(partition, key, ts, event),
      gapMs: spec.windows.gapMs, allowedLatenessMs: spec.windows.allowedLatenessMs,
      earliestOpenStart: (key) => engine?.earliestOpenStart(key), fields: spec.profiles.fields,
    }, restore?.checkpoint.profiles?.join)
    : null;
  const sink = join ?? engineToOutput(output, ports.onLate);
  const restored = restore && restore.checkpoint.engine !== null ? { snapshot: restore.checkpoint.engine, source: restore.path } : null;
  let jobEngine: JobEngine;
  if (spec.engineThreads) {
    const { aggregate: _, ...windows } = spec.windows;
    jobEngine = new ShardedEngine(spec.engineThreads.count, { windows, aggregate: spec.engineThreads.aggregate }, sink, restored);
  } else {
    engine = restored ? SessionEngine.restore(restored.snapshot, spec.windows, sink, restored.source) : new SessionEngine(spec.windows, sink);
    jobEngine = engine;
  }
  const aggregate = spec.windows.aggregate;
  const replay = {
    boundMs: spec.boundMs, idleTimeoutMs: spec.idleTimeoutMs, prefetch: spec.prefetch, onGap: spec.onGap, onCorrupt: spec.onCorrupt,
    stopAtLive: spec.stopAtLive, signal: ports.signal, now: ports.now,
  };
  const events = new HybridSource({
    ...replay,
    topic: spec.topic,
    partitions: spec.partitions,
    archive: ports.archive,
    live: ports.live,
    positions: restore ? positionsOf(restore.checkpoint.positions) : undefined,
    watermarks: restore?.checkpoint.watermarks,
    eventTime: spec.event.eventTime.text,
    // Events hold only the fields the aggregate reads, unless late events are written out whole (--late-output).
    decode: createDecoder({ ...spec.event, check: aggregate.check?.bind(aggregate), fields: ports.onLate ? undefined : aggregate.fields }),
  });
  let source: JobSource = events;
  if (spec.profiles) {
    const restored = restore?.checkpoint.profiles;
    const profiles = new HybridSource({
      ...replay,
      topic: spec.profiles.topic,
      partitions: spec.profiles.partitions,
      archive: ports.profiles?.archive ?? null,
      // A tombstone has no event time; its time is its Kafka timestamp: a file's minimum counts those too (metadata 3),
      // and a file that did not record them is read as early as its offsets allow (PlanOptions.untimedFirst).
      untimedFirst: true,
      live: ports.profiles?.live ?? null,
      positions: restored ? positionsOf(restored.positions) : undefined,
      watermarks: restored?.watermarks,
      eventTime: spec.profiles.eventTime.text,
      eventTimeOption: '--profile-time',
      decode: createProfileDecoder({ eventTime: spec.profiles.eventTime, maxAheadMs: spec.event.maxAheadMs }),
      // Asked between the events' batches: a quiet profiles topic must not hold the events up.
      pollMs: PROFILES_POLL_MS,
      // Its few files are read when the watermark needs them; read ahead, they all sat decoded in memory at once
      // (peak RSS of a month with 13,862 versions: 171 MB read ahead, 121 MB one at a time; 107 MB without profiles).
      prefetch: 1,
    });
    source = new MergedSource(events, profiles, spec.profiles.topic, ports.now);
  }
  return new SessionsJob({
    topic: spec.topic,
    partitions: spec.partitions,
    source,
    engine: jobEngine,
    sink: output,
    store: ports.store,
    checkpointIntervalMs: spec.checkpointIntervalMs,
    restoredFrom: restore?.checkpoint ?? null,
    profiles: join && spec.profiles ? { join, partitions: spec.profiles.partitions } : undefined,
    onBadRecord: ports.onBadRecord,
    progressIntervalMs: spec.progressIntervalMs,
    maxBadRatio: spec.maxBadRatio,
    signal: ports.signal,
    now: ports.now,
  });
}

/**
 * The profile versions a checkpoint kept are those the sessions could still need under its gap and allowed lateness; a
 * restore that widens either could need one already dropped, so it is refused, saying what to pass.
 */
function checkProfilesWindow(path: string, checkpoint: Checkpoint, windows: SessionWindows): void {
  const config = (checkpoint.engine as { config?: { gapMs?: unknown; allowedLatenessMs?: unknown } } | null)?.config;
  if (typeof config?.gapMs !== 'number' || typeof config.allowedLatenessMs !== 'number') return;
  if (windows.gapMs > config.gapMs || windows.allowedLatenessMs > config.allowedLatenessMs) {
    throw new SavepointError(path, `${path}: this savepoint joins profiles under --gap ${formatDuration(config.gapMs)} --allowed-lateness ${formatDuration(config.allowedLatenessMs)}; ` +
      `it kept no profile versions a wider gap or lateness could need. Restore with at most those, or start without --from-savepoint`);
  }
}

function positionsOf(positions: Checkpoint['positions']): Map<number, bigint | null> {
  return new Map(positions.map((p) => [p.partition, p.nextOffset]));
}
