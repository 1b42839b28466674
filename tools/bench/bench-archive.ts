// Builds benchmark archives fast: months of hourly Parquet files of music events written straight to the fs (no Kafka), one index per partition at the end.

import type { ArchiveFs } from '../../src/archive-fs.js';
import { mapConcurrently } from '../../src/concurrency.js';
import { committedFilePath, partitionDir } from '../../src/archive/file-name.js';
import { type ArchiveFileEntry, writePartitionIndex } from '../../src/archive/partition-index.js';
import { type ArchivedRecord, MetadataAccumulator } from '../../src/archive/record.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { partitionOf, playlistName } from '../../src/gen/music-events.js';
import { Prng } from '../../src/gen/prng.js';

const HOUR = 3_600_000;

export interface BenchArchiveSpec {
  topic: string;
  partitions: number;
  /** The same users play in every hour, so a longer archive has more events but not more keys. */
  users: number;
  hours: number;
  /** Events per hour over all partitions (about; sessions are whole). */
  eventsPerHour: number;
  /** Epoch ms of the first hour. */
  startMs: number;
  seed: number;
  /** Hours per file (default 1: hourly files). */
  hoursPerFile?: number;
}

export interface BenchArchiveResult {
  files: number;
  records: number;
  bytes: number;
  /** Next offset per partition: where Kafka must continue after the archive. */
  nextOffsets: bigint[];
  /** The latest event time written (the live tail starts after it). */
  maxEventTime: number;
}

interface Ev {
  user: number;
  ts: number;
  search: boolean;
  playlist: number;
  song: number;
}

const SONGS_PER_SESSION = 10;
const encoder = new TextEncoder();

/**
 * Music events hour by hour: listening sessions of about ten songs 150–300 s apart (a search now and then), by users
 * drawn from one fixed population. A session starting late in an hour runs into the next ones, as listening does.
 */
export function* hourlyEvents(spec: BenchArchiveSpec): Generator<{ hour: number; events: Ev[] }> {
  const rng = new Prng(spec.seed);
  const buckets = new Map<number, Ev[]>();
  const sessionsPerHour = Math.max(1, Math.round(spec.eventsPerHour / SONGS_PER_SESSION));
  for (let h = 0; h < spec.hours; h++) {
    const hourStart = spec.startMs + h * HOUR;
    for (let s = 0; s < sessionsPerHour; s++) {
      const user = rng.int(0, spec.users - 1);
      const playlist = rng.int(0, 19);
      let ts = hourStart + rng.int(0, HOUR - 1);
      let song = rng.int(0, 39);
      for (let k = 0; k < SONGS_PER_SESSION; k++) {
        const search = rng.chance(0.1);
        const bucket = Math.floor((ts - spec.startMs) / HOUR);
        if (bucket >= spec.hours) break;
        let list = buckets.get(bucket);
        if (!list) buckets.set(bucket, (list = []));
        list.push({ user, ts, search, playlist, song: search ? -1 : song++ });
        ts += search ? rng.int(5_000, 60_000) : rng.int(150_000, 300_000);
      }
    }
    const events = buckets.get(h) ?? [];
    buckets.delete(h);
    events.sort((a, b) => a.ts - b.ts);
    yield { hour: h, events };
  }
}

export function eventJson(e: Ev): string {
  return e.search
    ? `{"userId":"u${e.user}","ts":${e.ts},"type":"search"}`
    : `{"userId":"u${e.user}","ts":${e.ts},"type":"song","songId":"s${(e.playlist * 7919 + e.song) % 800}","playlistId":"${playlistName(e.playlist)}"}`;
}

/**
 * Writes the archive: per period (an hour by default) and partition one Parquet file named by its offsets, then one index per partition
 * (file lengths from a single folder listing), so a year of files costs no per-file index rewrite.
 */
export async function writeBenchArchive(fs: ArchiveFs, root: string, spec: BenchArchiveSpec, concurrency = 4): Promise<BenchArchiveResult> {
  const next: bigint[] = Array.from({ length: spec.partitions }, () => 0n);
  const entries: Omit<ArchiveFileEntry, 'length'>[][] = Array.from({ length: spec.partitions }, () => []);
  const userPartition = Array.from({ length: spec.users }, (_, u) => partitionOf(`u${u}`, spec.partitions));
  let files = 0;
  let records = 0;
  let maxEventTime = spec.startMs;
  let pending: { p: number; rows: ArchivedRecord[] }[] = [];
  const flush = async (): Promise<void> => {
    await mapConcurrently(pending, concurrency, async ({ p, rows }) => {
      const acc = new MetadataAccumulator();
      for (const r of rows) acc.add(r);
      const first = rows[0]!.offset;
      const last = rows[rows.length - 1]!.offset;
      const path = committedFilePath(root, spec.topic, p, first, last, parquetFormat.extension);
      const meta = acc.toMetadata(spec.topic, p, last + 1n, parquetFormat.name, 'ts');
      const writer = parquetFormat.createWriter(fs, path);
      await writer.write(rows);
      await writer.finish(meta);
      entries[p]!.push({ ...meta, path, name: path.slice(path.lastIndexOf('/') + 1), startOffset: first, endOffset: last });
    });
    pending = [];
  };
  const hoursPerFile = spec.hoursPerFile ?? 1;
  let byPartition: ArchivedRecord[][] = Array.from({ length: spec.partitions }, () => []);
  for (const { hour, events } of hourlyEvents(spec)) {
    for (const e of events) {
      const p = userPartition[e.user]!;
      const offset = next[p]!;
      next[p] = offset + 1n;
      byPartition[p]!.push({ offset, timestamp: e.ts, key: encoder.encode(`u${e.user}`), value: encoder.encode(eventJson(e)), headers: [], eventTime: e.ts });
      if (e.ts > maxEventTime) maxEventTime = e.ts;
    }
    // A file closes at the end of its period (and at the end of the archive).
    if ((hour + 1) % hoursPerFile !== 0 && hour + 1 < spec.hours) continue;
    for (let p = 0; p < spec.partitions; p++) {
      const rows = byPartition[p]!;
      if (rows.length === 0) continue;
      pending.push({ p, rows });
      files++;
      records += rows.length;
    }
    byPartition = Array.from({ length: spec.partitions }, () => []);
    if (pending.length >= concurrency * 4) await flush();
  }
  await flush();
  let bytes = 0;
  for (let p = 0; p < spec.partitions; p++) {
    const lengths = new Map((await fs.list(partitionDir(root, spec.topic, p))).map((s) => [s.name, s.length]));
    const full: ArchiveFileEntry[] = entries[p]!.map((e) => {
      const length = lengths.get(e.name);
      if (length === undefined) throw new Error(`bench archive: ${e.path} was written but is not listed`);
      bytes += length;
      return { ...e, length };
    });
    await writePartitionIndex(fs, root, spec.topic, p, full);
  }
  return { files, records, bytes, nextOffsets: next, maxEventTime };
}

/** Live events after the archive: the same users, sessions continuing past `fromMs`, as JSON values keyed by user. */
export function tailEvents(spec: BenchArchiveSpec, fromMs: number, hours: number): { partition: number; key: string; value: string }[] {
  const out: { partition: number; key: string; value: string }[] = [];
  for (const { events } of hourlyEvents({ ...spec, startMs: fromMs, hours, seed: spec.seed + 1 })) {
    for (const e of events) out.push({ partition: partitionOf(`u${e.user}`, spec.partitions), key: `u${e.user}`, value: eventJson(e) });
  }
  return out;
}
