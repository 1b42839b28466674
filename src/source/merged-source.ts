// Two topics read as one input: the events and the profiles they are joined with (docs/sessions.md, "Enrichment"), each
// through its own hybrid source (archive in event-time order, then Kafka from exactly where its archive ends), under one
// job watermark: the minimum over the partitions of both topics that still hold it back. A session then fires only once
// every profile version up to its end has been read, in a replay and a live run alike.

import type { HybridSource, SourcePosition, SourceStats, SourceStep, Timed } from './hybrid-source.js';
import type { SourceRecord } from './types.js';
import type { WatermarkTracker } from './watermarks.js';

/** Records of the profiles topic, decoded (a string is why a record is bad). */
export interface ProfilesStep<P extends Timed = Timed> {
  kind: 'profiles';
  partition: number;
  phase: 'archive' | 'kafka';
  records: SourceRecord[];
  decoded: (P | string)[];
}

/**
 * How long a pull of the profiles topic waits for records. Short: after each events batch its idle partitions must be
 * confirmed caught up again (linked trackers), so it is asked often, and must not hold the events up.
 */
export const PROFILES_POLL_MS = 5;

type Side = 'events' | 'profiles';

export class MergedSource<E extends Timed, P extends Timed> {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly events: HybridSource<E>,
    private readonly profileSource: HybridSource<P>,
    readonly profilesTopic: string,
    private readonly now: () => number = Date.now,
  ) {
    events.watermarks.link(profileSource.watermarks);
    profileSource.watermarks.link(events.watermarks);
    // Restored trackers carry their job watermarks: the joint one continues from the lower, never from -Infinity.
    this.last = Math.min(events.watermarks.jobWatermark(), profileSource.watermarks.jobWatermark());
  }

  get watermarks(): Pick<WatermarkTracker, 'snapshot' | 'view'> {
    return this.events.watermarks;
  }

  /** The profiles topic's positions and watermarks, as a checkpoint records them. */
  get profiles(): { topic: string; positions(): SourcePosition[]; watermarks: Pick<WatermarkTracker, 'snapshot'> } {
    const src = this.profileSource;
    return { topic: this.profilesTopic, positions: () => src.positions(), watermarks: src.watermarks };
  }

  positions(): SourcePosition[] {
    return this.events.positions();
  }

  liveEndOffsets(): ReadonlyMap<number, bigint> {
    return this.events.liveEndOffsets();
  }

  /** Both topics' counts together (the summary's records, files, duplicates, gaps). */
  get stats(): SourceStats {
    const a = this.events.stats;
    const b = this.profileSource.stats;
    return {
      filesTotal: a.filesTotal + b.filesTotal,
      filesDone: a.filesDone + b.filesDone,
      recordsArchive: a.recordsArchive + b.recordsArchive,
      recordsKafka: a.recordsKafka + b.recordsKafka,
      duplicatesSkipped: a.duplicatesSkipped + b.duplicatesSkipped,
      gapOffsetsSkipped: a.gapOffsetsSkipped + b.gapOffsetsSkipped,
      corruptFilesSkipped: a.corruptFilesSkipped + b.corruptFilesSkipped,
      switchPauseMs: a.switchPauseMs,
    };
  }

  /**
   * The lower watermark's topic is read first (profiles on a tie, so versions come before the events they enrich); a
   * topic that had nothing new yields the next turn to the other. A topic ahead is not read until the other catches up:
   * nothing it could deliver is needed before then (its versions are later than its watermark), and a replay of the
   * events is not slowed by looking at a quiet profiles topic. Which topic is read when decides memory and latency
   * only: results wait for the joint watermark either way.
   */
  private choose(done: Record<Side, boolean>, pulledAt: Record<Side, number>, idle: Record<Side, boolean>): Side {
    if (done.events) return 'profiles';
    if (done.profiles) return 'events';
    const pick: Side = this.profileSource.watermarks.heldWatermark() <= this.events.watermarks.heldWatermark() ? 'profiles' : 'events';
    const other: Side = pick === 'profiles' ? 'events' : 'profiles';
    return idle[pick] && pulledAt[other] < pulledAt[pick] ? other : pick;
  }

  /** The joint watermark, never lower than before; unchanged while no partition of either topic holds it. */
  private joint(): number {
    const held = Math.min(this.events.watermarks.heldWatermark(), this.profileSource.watermarks.heldWatermark());
    if (held !== Number.POSITIVE_INFINITY && held > this.last) this.last = held;
    return this.last;
  }

  async *steps(): AsyncGenerator<SourceStep<E> | ProfilesStep<P>> {
    const its = { events: this.events.steps(), profiles: this.profileSource.steps() };
    const done = { events: false, profiles: false };
    const pulledAt = { events: Number.NEGATIVE_INFINITY, profiles: Number.NEGATIVE_INFINITY };
    const idle = { events: false, profiles: false };
    let yielded = this.last;
    try {
      while (!done.events || !done.profiles) {
        const side = this.choose(done, pulledAt, idle);
        pulledAt[side] = this.now();
        // Each source's own watermark steps are replaced by the joint one below.
        if (side === 'events') {
          const r = await its.events.next();
          done.events = r.done === true;
          idle.events = !r.done && r.value.kind === 'idle';
          if (!r.done && r.value.kind !== 'watermark') yield r.value;
        } else {
          const r = await its.profiles.next();
          done.profiles = r.done === true;
          idle.profiles = !r.done && r.value.kind === 'idle';
          const step = r.done ? null : r.value;
          if (step?.kind === 'records') yield { kind: 'profiles', partition: step.partition, phase: step.phase, records: step.records, decoded: step.decoded };
          else if (step?.kind === 'switch' || step?.kind === 'gap' || step?.kind === 'corrupt') yield { ...step, topic: this.profilesTopic };
          else if (step?.kind === 'idle') yield step;
        }
        const wm = this.joint();
        if (wm > yielded) {
          yielded = wm;
          yield { kind: 'watermark', watermark: wm };
        }
      }
    } finally {
      // A stop or a failure of one closes the other (and its Kafka reader).
      await Promise.allSettled([its.events.return(undefined), its.profiles.return(undefined)]);
    }
  }
}
