// Watermarks per partition and for the job: exact at archive file boundaries (from the index), bounded out-of-orderness on Kafka, never backwards.

export type PartitionPhase = 'archive' | 'kafka' | 'finished';

export interface PartitionWatermarkState {
  partition: number;
  phase: PartitionPhase;
  /** Largest event time read so far (-Infinity before the first record). */
  maxEventTime: number;
  watermark: number;
  /** Wall-clock ms of the last record, for --idle-timeout. */
  lastActivity: number;
  /**
   * Since when (wall-clock ms of the answer) every question to Kafka confirmed the partition had read to its log end;
   * null when the last answer said otherwise, a question failed, or none was answered yet.
   */
  caughtUpSince: number | null;
  /** When the latest of those confirmations arrived. */
  confirmedAt: number | null;
}

/** The persisted part of the tracker, restored from a checkpoint so a restore never lowers a watermark. */
export interface WatermarkSnapshot {
  job: number | null;
  partitions: { partition: number; maxEventTime: number | null; watermark: number | null }[];
}

const toJson = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** How often the source asks Kafka whether idle-looking partitions have read to their log end. */
export function confirmationInterval(idleTimeoutMs: number): number {
  return Number.isFinite(idleTimeoutMs) ? Math.min(5000, Math.max(250, Math.floor(idleTimeoutMs / 4))) : 5000;
}
const fromJson = (n: number | null): number => (n === null ? Number.NEGATIVE_INFINITY : n);

/**
 * A watermark W promises that no more events with time <= W follow (Flink's convention: a window [s, e) fires at
 * W >= e - 1). So after an archive file the partition's watermark is (min event time of its remaining files) - 1,
 * capped by (max seen - bound - 1) so the end of the archive does not run ahead of what Kafka still delivers.
 */
export class WatermarkTracker {
  private readonly partitions = new Map<number, PartitionWatermarkState>();
  private job = Number.NEGATIVE_INFINITY;
  private readonly linked: WatermarkTracker[] = [];

  /** How old a caught-up confirmation may be and still count (Kafka unreachable for longer: nothing is confirmed). */
  readonly confirmationTtlMs: number;

  constructor(
    partitions: readonly number[],
    private readonly boundMs: number,
    private readonly idleTimeoutMs: number = Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {
    this.confirmationTtlMs = Math.max(2000, 3 * confirmationInterval(idleTimeoutMs));
    const t = now();
    for (const p of partitions) {
      this.partitions.set(p, { partition: p, phase: 'archive', maxEventTime: Number.NEGATIVE_INFINITY, watermark: Number.NEGATIVE_INFINITY, lastActivity: t, caughtUpSince: null, confirmedAt: null });
    }
  }

  private state(partition: number): PartitionWatermarkState {
    const s = this.partitions.get(partition);
    if (!s) throw new RangeError(`watermarks: partition ${partition} is not part of this job`);
    return s;
  }

  /** Records of a partition were read (their event times, nulls already filtered by the caller). */
  observe(partition: number, eventTime: number): void {
    const s = this.state(partition);
    if (eventTime > s.maxEventTime) s.maxEventTime = eventTime;
    s.lastActivity = this.now();
  }

  /** A partition was active (records read, even without usable event times). */
  touch(partition: number): void {
    this.state(partition).lastActivity = this.now();
  }

  private raise(s: PartitionWatermarkState, candidate: number): void {
    if (candidate > s.watermark) s.watermark = candidate;
  }

  /** After an archive file: `remainingMin` = smallest min event time of the partition's files still to read (Infinity if none). */
  archiveFileDone(partition: number, remainingMin: number): void {
    const s = this.state(partition);
    this.raise(s, Math.min(remainingMin - 1, s.maxEventTime - this.boundMs - 1));
  }

  /** The partition now reads Kafka: from here its watermark is bounded out-of-orderness, never below what the archive gave. */
  switchToKafka(partition: number): void {
    const s = this.state(partition);
    s.phase = 'kafka';
    s.lastActivity = this.now();
    this.liveProgress(partition);
  }

  /** After a Kafka batch of the partition. */
  liveProgress(partition: number): void {
    const s = this.state(partition);
    this.raise(s, s.maxEventTime - this.boundMs - 1);
  }

  /** The partition delivers nothing more (archive alone and exhausted, or --stop-at-live reached): it no longer holds the job back. */
  finish(partition: number): void {
    const s = this.state(partition);
    this.raise(s, s.maxEventTime - this.boundMs - 1);
    s.phase = 'finished';
  }

  phase(partition: number): PartitionPhase {
    return this.state(partition).phase;
  }

  /** Kafka's answer, arrived at `at`, said that the partition's position was at its log end. */
  confirmCaughtUp(partition: number, at: number): void {
    const s = this.state(partition);
    if (s.caughtUpSince === null) s.caughtUpSince = at;
    if (s.confirmedAt === null || at > s.confirmedAt) s.confirmedAt = at;
  }

  /** Kafka said the partition has records it has not read yet, or could not be asked: whatever was confirmed is void. */
  notCaughtUp(partition: number): void {
    const s = this.state(partition);
    s.caughtUpSince = null;
    s.confirmedAt = null;
  }

  /**
   * Idle means caught up, not silent: a Kafka partition stops holding the job back only when, for the whole idle timeout,
   * every question to Kafka confirmed it had read to its log end and nothing arrived, and the latest confirmation came
   * after the newest record the job read from any partition. A partition with a backlog, or any partition while Kafka
   * does not answer (an outage: every partition is silent), keeps holding the watermark; after an outage a partition is
   * idle again only after a full idle timeout of confirmations; and a backlog that lands on several partitions at once
   * cannot be passed over because one of them was read first: its partitions are asked again before they count as idle.
   */
  isIdle(s: PartitionWatermarkState): boolean {
    return this.idleAt(s, this.now(), this.newestActivity());
  }

  private idleAt(s: PartitionWatermarkState, now: number, newestActivity: number): boolean {
    if (s.phase !== 'kafka' || s.caughtUpSince === null || s.confirmedAt === null) return false;
    return s.lastActivity <= s.caughtUpSince && now - s.caughtUpSince >= this.idleTimeoutMs
      && now - s.confirmedAt <= this.confirmationTtlMs && s.confirmedAt >= newestActivity;
  }

  /**
   * Another tracker of the same job (the other topic of a job reading two): a partition here is idle only if confirmed
   * caught up after the newest record read there too, so a record already in Kafka here is not passed over because the
   * other topic's records were read first.
   */
  link(other: WatermarkTracker): void {
    this.linked.push(other);
  }

  /** Wall-clock ms of the newest record read from any partition still reading Kafka, here or in a linked tracker. */
  private newestActivity(): number {
    let newest = this.ownNewestActivity();
    for (const other of this.linked) newest = Math.max(newest, other.ownNewestActivity());
    return newest;
  }

  private ownNewestActivity(): number {
    let newest = Number.NEGATIVE_INFINITY;
    for (const s of this.partitions.values()) if (s.phase === 'kafka' && s.lastActivity > newest) newest = s.lastActivity;
    return newest;
  }

  /**
   * The job's watermark: the minimum over partitions that still deliver and are not idle, never lower than before.
   * When every partition has finished it stays where it is; the caller fires what remains with the engine's finish().
   */
  jobWatermark(): number {
    const min = this.heldWatermark();
    if (min !== Number.POSITIVE_INFINITY && min > this.job) this.job = min;
    return this.job;
  }

  /**
   * The minimum watermark over partitions that still deliver and are not idle; +Infinity when none holds the job back.
   * It can fall (an idle partition receives records again); jobWatermark() keeps the job's from doing so. A job reading
   * two topics takes the minimum of both trackers' held watermarks.
   */
  heldWatermark(): number {
    const now = this.now();
    const newest = this.newestActivity();
    let min = Number.POSITIVE_INFINITY;
    for (const s of this.partitions.values()) {
      if (s.phase === 'finished' || this.idleAt(s, now, newest)) continue;
      if (s.watermark < min) min = s.watermark;
    }
    return min;
  }

  view(): PartitionWatermarkState[] {
    return [...this.partitions.values()].map((s) => ({ ...s }));
  }

  snapshot(): WatermarkSnapshot {
    return {
      job: toJson(this.job),
      partitions: [...this.partitions.values()].map((s) => ({ partition: s.partition, maxEventTime: toJson(s.maxEventTime), watermark: toJson(s.watermark) })),
    };
  }

  restore(snapshot: WatermarkSnapshot): void {
    this.job = fromJson(snapshot.job);
    for (const p of snapshot.partitions) {
      const s = this.state(p.partition);
      s.maxEventTime = fromJson(p.maxEventTime);
      s.watermark = fromJson(p.watermark);
    }
  }
}
