// One worker's share of a parallel sessions job (docs/scaling.md): one SessionsJob per partition it owns, each with its
// own source, engine, checkpoints and output. The owned set changes with the group's assignment; a partition that leaves
// stops with a savepoint (refused, harmlessly, when its new owner claimed it first), one that arrives restores from its
// own newest checkpoint.

import type { Checkpoint } from '../checkpoint/format.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import { SessionEngine } from '../engine/session-engine.js';
import type { SessionWindows } from '../engine/window-spec.js';
import { PartitionConflict, SavepointError, UsageError } from '../errors.js';
import { EventEmitterOf } from '../events.js';
import { getLogger } from '../logger.js';
import { retry } from '../retry.js';
import type { OutputSink } from '../sink/types.js';
import type { ArchiveCatalog, LiveReader } from '../source/types.js';
import { assembleSessionsJob, type SessionsJobSpec } from './assemble.js';
import { jobRestarts, restartsAfter, type SessionsJob } from './sessions-job.js';
import type { JobProgress, JobSummary } from './types.js';

const log = getLogger('sessions');

export interface PartitionJobsOptions {
  /**
   * Builds the job of one partition, restored from that partition's newest checkpoint (claimed) or fresh; null when
   * the partition has nothing left to do (its checkpoint is final and the run ends at the end of input).
   */
  open(partition: number, signal: AbortSignal): Promise<SessionsJob | null>;
  /** How long a fenced partition waits before it starts again (while still assigned here). Default 1 s. */
  fencedPauseMs?: number;
  /**
   * A partition's job that fails on something that may pass after it first ran starts again from its newest checkpoint
   * (needs checkpoints, and an output whose restore repeats nothing published: see sessions' `restartable`).
   */
  restartable?: boolean;
}

/** Long enough for a member whose assignment is stale to hear of the rebalance (heartbeats are a tenth of the timeout). */
const FENCED_PAUSE_MS = 1000;

/** What each partition's job reads and writes: the shared archive, and its own Kafka reader, output and checkpoint folder. */
export interface PartitionPorts {
  archive: ArchiveCatalog | null;
  live(): LiveReader | null;
  output(partition: number): OutputSink;
  /** An exclusive store (its ids are the fencing token), or null for a job without checkpoints. */
  store(partition: number): CheckpointStore | null;
}

/**
 * The job of one partition: claims the partition's newest checkpoint (so an owner that continued from it too can publish
 * nothing after it) and restores from the claim, or starts fresh when there is none. Null when that checkpoint is final
 * and the run ends at the end of its input (`endsAtEnd`): the partition has nothing left to do.
 */
export async function openPartitionJob(
  spec: SessionsJobSpec, ports: PartitionPorts, partition: number, signal: AbortSignal, endsAtEnd: boolean,
): Promise<SessionsJob | null> {
  const store = ports.store(partition);
  const latest = store ? await store.latest() : null;
  if (latest && latest.checkpoint.counters.finished === 1 && endsAtEnd) return null;
  const restore = store && latest ? await store.claim(latest) : null;
  const live = ports.live();
  const output = ports.output(partition);
  return assembleSessionsJob({ ...spec, partitions: [partition] }, {
    archive: ports.archive, live, output, store, restore, signal,
  }).catch(async (err: unknown) => {
    // Nothing ran: the reader's client is closed here, not by the source.
    await live?.close();
    // A fresh start refuses a folder that holds published parts. Here they can be another owner's, which started the
    // partition after this one found no checkpoint and has published since: its checkpoints are there now, look again.
    if (err instanceof UsageError && store && !latest && (await store.latest()) !== null) {
      throw new PartitionConflict(`${output.description}: another owner started this partition and published results after this one found no checkpoint; this one looks again`);
    }
    throw err;
  });
}

/**
 * A whole-job checkpoint (one `oxbow sessions` without workers, any format version this oxbow reads) as one checkpoint
 * per partition: each partition's position and watermark, and the engine's sessions that partition opened (the engine
 * restores the snapshot, so older engine formats are converted on the way). Its output position is left out: the
 * caller publishes the whole job's pending part first. Refused for a job with --profiles, which a parallel job does not
 * run.
 */
export function splitCheckpoint(whole: Checkpoint, path: string, windows: SessionWindows): Checkpoint[] {
  if (whole.profiles) throw new SavepointError(path, `${path}: a checkpoint of a job with --profiles cannot be continued by a parallel job; continue it without --workers/--group`);
  const engine = whole.engine === null ? null : SessionEngine.restore(whole.engine, windows, { result: () => {}, retraction: () => {}, late: () => {} }, path);
  return whole.partitions.map((partition): Checkpoint => {
    const watermark = whole.watermarks.partitions.filter((w) => w.partition === partition);
    return {
      ...whole,
      partitions: [partition],
      positions: whole.positions.filter((x) => x.partition === partition),
      watermarks: { ...whole.watermarks, partitions: watermark },
      engine: engine ? engine.snapshot([partition]) : null,
      sink: null,
      // The counters were the whole job's: they stay with its first partition, so sums over partitions still add up.
      counters: partition === whole.partitions[0] ? whole.counters : { finished: whole.counters.finished ?? 0 },
    };
  });
}

export interface PartitionJobsEvents extends Record<string, unknown> {
  progress: { partition: number; progress: JobProgress };
  /** A partition's job ended: its summary, or null when it had nothing to do. */
  ended: { partition: number; summary: JobSummary | null };
  /** Another owner took the partition first; this worker's job of it stopped without publishing. */
  fenced: { partition: number; message: string };
}

interface Slot {
  controller: AbortController;
  /** Settles when the job has stopped (its savepoint written or refused); never rejects. */
  stopped: Promise<void>;
}

export class PartitionJobs extends EventEmitterOf<PartitionJobsEvents> {
  private readonly slots = new Map<number, Slot>();
  /** What the last assignment gave this worker: a partition's job that stops while still wanted starts again. */
  private wanted = new Set<number>();
  /** Partitions whose job ended at the end of their input (or had nothing to do). */
  readonly finished = new Set<number>();
  private failure: Error | null = null;
  private readonly failed: Promise<Error>;
  private fail!: (err: Error) => void;

  constructor(private readonly o: PartitionJobsOptions) {
    super();
    this.failed = new Promise((resolve) => { this.fail = resolve; });
  }

  /**
   * The partitions this worker owns now. A partition kept keeps its job; one no longer owned stops with a savepoint; one
   * whose job is still stopping starts again, from its newest checkpoint, once it has stopped. A partition whose job was
   * fenced (another owner took it) starts again after a pause if the assignment still gives it.
   */
  assign(partitions: readonly number[]): void {
    this.wanted = new Set(partitions);
    for (const [partition, slot] of this.slots) if (!this.wanted.has(partition)) slot.controller.abort();
    for (const partition of this.wanted) this.startIfWanted(partition);
  }

  /** Stops every job with a savepoint (the process is stopping) and waits for them. */
  async releaseAll(): Promise<void> {
    this.assign([]);
    await this.idle();
  }

  /** Partitions with a job running now. */
  owned(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  /** Resolves with the first job failure that was not a lost race for a partition. */
  firstFailure(): Promise<Error> {
    return this.failed;
  }

  get error(): Error | null {
    return this.failure;
  }

  /** Resolves once every job has stopped. */
  async idle(): Promise<void> {
    while (this.slots.size > 0) await Promise.all([...this.slots.values()].map((s) => s.stopped));
  }

  private startIfWanted(partition: number): void {
    if (!this.wanted.has(partition) || this.slots.has(partition) || this.finished.has(partition) || this.failure) return;
    const controller = new AbortController();
    const slot: Slot = { controller, stopped: Promise.resolve() };
    this.slots.set(partition, slot);
    slot.stopped = this.run(partition, slot).finally(() => {
      if (this.slots.get(partition) === slot) this.slots.delete(partition);
      this.startIfWanted(partition);
    });
  }

  private async run(partition: number, slot: Slot): Promise<void> {
    const signal = slot.controller.signal;
    let progressed = false;
    let ran = false;
    try {
      // A failure that may pass (storage or Kafka out of reach) after the partition's job first ran starts it again from
      // its newest checkpoint, as in one job (docs/sessions.md, "Storage outages").
      await retry(async () => {
        progressed = false;
        const job = await this.o.open(partition, signal);
        if (!job) {
          this.finished.add(partition);
          this.emit('ended', { partition, summary: null });
          return;
        }
        job.on('progress', (e) => this.emit('progress', { partition, progress: e.payload }));
        ran = true;
        try {
          const summary = await job.run();
          if (summary.stoppedBy === 'end') this.finished.add(partition);
          this.emit('ended', { partition, summary });
        } catch (err) {
          progressed = job.checkpointedProgress;
          throw err;
        }
      }, jobRestarts({
        ran: () => (this.o.restartable ?? false) && ran,
        progressed: () => progressed,
        signal,
        onRestart: ({ error, attempt, delayMs }) => log.warn('the job of a partition failed; restarting from its newest checkpoint', {
          partition, restart: attempt, inMs: delayMs, error: error instanceof Error ? error.message : String(error),
        }),
      }));
    } catch (err) {
      if (err instanceof PartitionConflict) {
        // The partition's next checkpoint was written by another owner: nothing of ours after our last one is published.
        // Either our assignment is stale (a rebalance we have not heard of yet takes the partition away during the
        // pause) or the other owner's is (it stops the same way once we continue): start again after a pause.
        log.info('another owner continues this partition; stopped without publishing', { partition, reason: err.message });
        this.emit('fenced', { partition, message: err.message });
        await new Promise((resolve) => setTimeout(resolve, this.o.fencedPauseMs ?? FENCED_PAUSE_MS));
        return;
      }
      if (ran && signal.aborted && (this.o.restartable ?? false) && restartsAfter(err)) {
        // Revoked (or the worker stopping) while the job failed or waited to restart: the newest checkpoint is the state
        // whoever continues the partition claims, and the failed job published nothing after it.
        log.warn('the job of a partition stopped after a failure, before its restart; its newest checkpoint stays', { partition, error: (err as Error).message });
        return;
      }
      this.failure ??= err as Error;
      this.fail(err as Error);
    }
  }
}
