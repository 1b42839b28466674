// In-memory archive catalogue and live reader for the source tests: files and Kafka partitions made from plain arrays.

import { CorruptFileError } from '../../../src/errors.js';
import type { ArchiveCatalog, ArchiveFileInfo, LiveBatch, LiveReader, SourceRecord } from '../../../src/source/types.js';

export function rec(offset: number | bigint, eventTime: number): SourceRecord {
  return { offset: BigInt(offset), timestamp: eventTime, key: null, value: null, eventTime };
}

/** A file of records at consecutive offsets from `start` with the given event times. */
export function file(partition: number, start: number, times: number[], extra: Partial<ArchiveFileInfo> = {}): { info: ArchiveFileInfo; records: SourceRecord[] } {
  const records = times.map((t, i) => rec(start + i, t));
  const end = BigInt(start + times.length - 1);
  return {
    info: {
      path: `/a/topics/t/partition=${partition}/t+${partition}+${start}+${end}.parquet`,
      partition,
      startOffset: BigInt(start),
      endOffset: end,
      nextOffset: end + 1n,
      count: times.length,
      minEventTime: Math.min(...times),
      maxEventTime: Math.max(...times),
      eventTime: 'ts',
      ...extra,
    },
    records,
  };
}

export class FakeCatalog implements ArchiveCatalog {
  readonly description = 'memory://archive';
  readonly files = new Map<number, { info: ArchiveFileInfo; records: SourceRecord[] }[]>();
  readonly reads: string[] = [];
  readonly corrupt = new Set<string>();
  /** The partitions listed, one entry per listFiles call. */
  readonly listings: number[] = [];

  add(f: { info: ArchiveFileInfo; records: SourceRecord[] }): this {
    const list = this.files.get(f.info.partition) ?? [];
    list.push(f);
    this.files.set(f.info.partition, list);
    return this;
  }

  async listFiles(partition: number): Promise<ArchiveFileInfo[]> {
    this.listings.push(partition);
    return (this.files.get(partition) ?? []).map((f) => f.info);
  }

  async *readFile(info: ArchiveFileInfo): AsyncIterable<SourceRecord[]> {
    this.reads.push(info.path);
    if (this.corrupt.has(info.path)) throw new CorruptFileError(info.path, `${info.path}: not a Parquet file (bad magic)`);
    const f = (this.files.get(info.partition) ?? []).find((x) => x.info.path === info.path)!;
    // Two batches per file, to exercise batch boundaries.
    const half = Math.ceil(f.records.length / 2);
    yield f.records.slice(0, half);
    if (half < f.records.length) yield f.records.slice(half);
  }
}

/** A catalogue that also answers holdsFilesFrom from its files' ranges, as the archive's names do. */
export class NamedFakeCatalog extends FakeCatalog {
  async holdsFilesFrom(partition: number, offset: bigint): Promise<boolean> {
    return (this.files.get(partition) ?? []).some((f) => f.info.endOffset >= offset);
  }
}

/** Kafka partitions as arrays; earliest offsets model retention. Batches come round-robin, `batchSize` records each. */
export class FakeLive implements LiveReader {
  readonly log = new Map<number, SourceRecord[]>();
  readonly earliest = new Map<number, bigint>();
  readonly started = new Map<number, bigint>();
  private cursor = new Map<number, bigint>();
  private readonly paused = new Set<number>();
  /** Partitions whose records Kafka holds but this reader does not deliver (a stalled fetch, a consumer in trouble). */
  readonly withheld = new Set<number>();
  private turn = 0;
  closed = false;

  constructor(private readonly batchSize = 3) {}

  append(partition: number, offset: number, times: number[]): this {
    const list = this.log.get(partition) ?? [];
    times.forEach((t, i) => list.push(rec(offset + i, t)));
    this.log.set(partition, list);
    return this;
  }

  async earliestOffsets(partitions: number[]): Promise<Map<number, bigint>> {
    return new Map(partitions.map((p) => [p, this.earliest.get(p) ?? this.log.get(p)?.[0]?.offset ?? 0n]));
  }

  async latestOffsets(partitions: number[]): Promise<Map<number, bigint>> {
    return new Map(partitions.map((p) => {
      const list = this.log.get(p) ?? [];
      const last = list[list.length - 1];
      return [p, last ? last.offset + 1n : this.earliest.get(p) ?? 0n];
    }));
  }

  async start(positions: Map<number, bigint>): Promise<void> {
    for (const [p, o] of positions) {
      this.started.set(p, o);
      this.cursor.set(p, o);
    }
  }

  async next(timeoutMs = 0): Promise<LiveBatch | null> {
    const parts = [...this.cursor.keys()].filter((p) => !this.paused.has(p) && !this.withheld.has(p));
    for (let i = 0; i < parts.length; i++) {
      const p = parts[(this.turn + i) % parts.length]!;
      const from = this.cursor.get(p)!;
      const records = (this.log.get(p) ?? []).filter((r) => r.offset >= from).slice(0, this.batchSize);
      if (records.length === 0) continue;
      this.turn = (this.turn + i + 1) % parts.length;
      this.cursor.set(p, records[records.length - 1]!.offset + 1n);
      return { partition: p, records };
    }
    // As the real reader: nothing new means waiting (briefly), so timers of the caller get their turn.
    await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 5)));
    return null;
  }

  pause(partition: number): void {
    this.paused.add(partition);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
