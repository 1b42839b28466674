// One place that builds the sessions job from what it computes (specs) and what it talks to (ports): the restore
// policy, the engine → output adapter, the decoder and the hybrid source. The CLI and the tests run this same path.

import { checkCheckpointFits, type Checkpoint } from '../checkpoint/format.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import { SessionEngine } from '../engine/session-engine.js';
import type { SessionSink } from '../engine/types.js';
import type { SessionWindows } from '../engine/window-spec.js';
import { resultRecord, retractionRecord, type OutputSink } from '../sink/types.js';
import { HybridSource, type HybridSourceOptions } from '../source/hybrid-source.js';
import type { ArchiveCatalog, LiveReader } from '../source/types.js';
import { createDecoder, type EventSpec } from './decode.js';
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
}

/** What the job reads from and writes to, opened by the caller. */
export interface SessionsJobPorts {
  archive: ArchiveCatalog | null;
  live: LiveReader | null;
  output: OutputSink;
  store: CheckpointStore | null;
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
 * The job, ready to run. A restore checks that the checkpoint is this job's (topic, partitions), finishes the output's
 * interrupted publish and continues the engine and every partition from it; a fresh start refuses an output that
 * already holds another run's results.
 */
export async function assembleSessionsJob(spec: SessionsJobSpec, ports: SessionsJobPorts): Promise<SessionsJob> {
  const { restore, output } = ports;
  if (restore) {
    checkCheckpointFits(restore.path, restore.checkpoint, spec.topic, spec.partitions);
    await output.recover(restore.checkpoint.sink);
  } else {
    await output.checkFresh();
  }
  const sink = engineToOutput(output, ports.onLate);
  const engine = restore && restore.checkpoint.engine !== null
    ? SessionEngine.restore(restore.checkpoint.engine, spec.windows, sink, restore.path)
    : new SessionEngine(spec.windows, sink);
  const aggregate = spec.windows.aggregate;
  const source = new HybridSource({
    topic: spec.topic,
    partitions: spec.partitions,
    archive: ports.archive,
    live: ports.live,
    positions: restore ? new Map(restore.checkpoint.positions.map((p) => [p.partition, p.nextOffset])) : undefined,
    watermarks: restore?.checkpoint.watermarks,
    boundMs: spec.boundMs,
    idleTimeoutMs: spec.idleTimeoutMs,
    prefetch: spec.prefetch,
    onGap: spec.onGap,
    onCorrupt: spec.onCorrupt,
    stopAtLive: spec.stopAtLive,
    eventTime: spec.event.eventTime.text,
    decode: createDecoder({ ...spec.event, check: aggregate.check?.bind(aggregate) }),
    signal: ports.signal,
    now: ports.now,
  });
  return new SessionsJob({
    topic: spec.topic,
    partitions: spec.partitions,
    source,
    engine,
    sink: output,
    store: ports.store,
    checkpointIntervalMs: spec.checkpointIntervalMs,
    restoredFrom: restore?.checkpoint ?? null,
    onBadRecord: ports.onBadRecord,
    progressIntervalMs: spec.progressIntervalMs,
    maxBadRatio: spec.maxBadRatio,
    signal: ports.signal,
    now: ports.now,
  });
}
