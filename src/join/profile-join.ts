// The event-time temporal join of session results with profiles: between the engine and the output, each result gets
// the profile version valid at its start once the job watermark has passed that start (every version up to then has
// been read); results fired earlier wait, in order with what follows them. See docs/sessions.md, "Enrichment".

import type { SessionResult, SessionRetraction, SessionSink } from '../engine/types.js';
import { resultRecord, retractionRecord, type OutputRecord, type OutputSink } from '../sink/types.js';
import { ProfileTable, type ProfileTableSnapshot, type ProfileValue } from './profile-table.js';

export interface ProfileJoinOptions {
  output: Pick<OutputSink, 'write'>;
  /** Where the engine's late events go (the join only passes them on). */
  late?: SessionSink['late'];
  /** The engine's gap and allowed lateness: no new session can start before watermark - gap - lateness. */
  gapMs: number;
  allowedLatenessMs: number;
  /** Start of the key's earliest open session (it may still fire, or grow back by up to a gap); undefined: none. */
  earliestOpenStart: (key: string) => number | undefined;
  /** Value fields a result carries in `profile`; undefined: every field. */
  fields?: readonly string[];
}

export interface ProfileJoinStats {
  /** Versions read (tombstones included) and the tombstones among them. */
  versions: number;
  tombstones: number;
  /** Versions that arrived with a time the watermark had already passed (used from then on). */
  late: number;
  /** Session results written with `profile: null`. */
  withoutProfile: number;
}

/** The join's persisted form in checkpoint format 2. */
export interface ProfileJoinSnapshot {
  /** The job watermark the join had seen (null: none yet). */
  watermark: number | null;
  versions: ProfileTableSnapshot;
  /** Output records fired before the watermark passed their start, in order. */
  pending: OutputRecord[];
  stats: ProfileJoinStats;
}

export class ProfileJoin implements SessionSink {
  readonly table: ProfileTable;
  readonly stats: ProfileJoinStats;
  private pending: OutputRecord[];
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: ProfileJoinOptions, restored?: ProfileJoinSnapshot) {
    this.table = restored ? ProfileTable.restore(restored.versions) : new ProfileTable();
    this.pending = restored ? [...restored.pending] : [];
    this.stats = restored ? { ...restored.stats } : { versions: 0, tombstones: 0, late: 0, withoutProfile: 0 };
    if (restored?.watermark != null) this.watermark = restored.watermark;
  }

  /** A profile version (value null: a tombstone) of `key` at `time`. */
  addVersion(key: string, time: number, value: ProfileValue): void {
    this.stats.versions++;
    if (value === null) this.stats.tombstones++;
    if (time <= this.watermark) this.stats.late++;
    this.table.add(key, time, value === null ? null : this.project(value));
    this.table.prune(key, this.cutoff(key));
    // Keys whose versions were not touched since the watermark moved on still hold old ones: sweep now and then.
    if (this.table.versions > 2 * this.table.keys + 10_000) this.sweep();
  }

  /** The job watermark moved to `watermark`: results waiting for it are written (before anything the engine fires next). */
  advance(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    let i = 0;
    while (i < this.pending.length && !this.waits(this.pending[i]!)) this.write(this.pending[i++]!);
    if (i > 0) this.pending = this.pending.slice(i);
  }

  /** Drops every version no result can need any more. */
  sweep(): void {
    this.table.sweep((key) => this.cutoff(key));
  }

  result(r: SessionResult): void {
    this.offer(resultRecord(r));
  }

  retraction(r: SessionRetraction): void {
    this.offer(retractionRecord(r));
  }

  late(partition: number, key: string, ts: number, event: Record<string, unknown>): void {
    this.o.late?.(partition, key, ts, event);
  }

  snapshot(): ProfileJoinSnapshot {
    const watermark = Number.isFinite(this.watermark) ? this.watermark : null;
    return { watermark, versions: this.table.snapshot(), pending: [...this.pending], stats: { ...this.stats } };
  }

  private waits(r: OutputRecord): boolean {
    return r.type === 'session' && r.start > this.watermark;
  }

  private offer(r: OutputRecord): void {
    if (this.pending.length === 0 && !this.waits(r)) this.write(r);
    else this.pending.push(r);
  }

  private write(r: OutputRecord): void {
    if (r.type === 'session') {
      const profile = this.table.at(r.key, r.start);
      if (profile === null) this.stats.withoutProfile++;
      this.o.output.write({ ...r, profile });
    } else {
      this.o.output.write(r);
    }
  }

  private project(value: Record<string, unknown>): Record<string, unknown> {
    const fields = this.o.fields;
    if (fields === undefined) return value;
    const out: Record<string, unknown> = {};
    for (const f of fields) if (f in value) out[f] = value[f];
    return out;
  }

  /**
   * The earliest time a lookup of `key` can still ask for: a new session starts after watermark - gap - lateness, and an
   * event merging into an open session (never late) can move its start back by up to a gap.
   */
  private cutoff(key: string): number {
    let cutoff = this.watermark - this.o.gapMs - this.o.allowedLatenessMs;
    const open = this.o.earliestOpenStart(key);
    if (open !== undefined && open - this.o.gapMs < cutoff) cutoff = open - this.o.gapMs;
    for (const r of this.pending) if (r.type === 'session' && r.key === key && r.start < cutoff) cutoff = r.start;
    return cutoff;
  }
}
