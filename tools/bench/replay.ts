// Replay throughput: `oxbow sessions` over hourly Parquet files on the local fs and on HDFS against only reading and decoding the same files, and prefetch 1 vs N.
// Also a child script: `node dist/tools/bench/replay.js --floor URI TOPIC` reads and decodes every file of the archive and prints its rate.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../src/archive/partition-index.js';
import { listPartitionFiles, listTopicPartitions, readArchiveFileForReplay } from '../../src/archive/reader.js';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { type BenchArchiveSpec, writeBenchArchive } from './bench-archive.js';
import { BEFORE_COMMIT, beforeBuild, writeArchiveBefore } from './bench-before.js';
import { alternate, median, oxbowBin, round, runNode, summaryNumber } from './bench-measure.js';

const TOPIC = 'listens';
const formats = formatRegistry([parquetFormat, jsonlGzFormat]);
const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The floor: list, read and decode (Parquet, as a replay reads it, + JSON.parse of each value) every file, one partition
 * after another, prefetch 1.
 */
async function floor(uri: string, topic: string): Promise<{ events: number; seconds: number }> {
  const { fs, root } = openArchiveFs(uri);
  const t0 = process.hrtime.bigint();
  let events = 0;
  const decoder = new TextDecoder();
  for (const p of await listTopicPartitions(fs, root, topic)) {
    for (const entry of await listPartitionFiles(fs, root, topic, p, formats)) {
      for await (const batch of readArchiveFileForReplay(fs, entry, formats)) {
        for (const r of batch) {
          if (r.value) JSON.parse(decoder.decode(r.value));
          events++;
        }
      }
    }
  }
  return { events, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function replayRate(uri: string, prefetch: number, bin = oxbowBin): Promise<{ rate: number; events: number; rssMb: number | undefined }> {
  const run = await runNode([bin, 'sessions', '--archive', uri, '--aggregate', 'listening', '--gap', '30m', '--prefetch', String(prefetch), '--output', '-'], { ignoreStdout: true });
  const events = summaryNumber(run.stderr, 'events');
  const seconds = summaryNumber(run.stderr, 'elapsed');
  return { rate: events / seconds, events, rssMb: run.peakRssMb };
}

async function floorRate(uri: string): Promise<number> {
  const run = await runNode([path.join(here, 'replay.js'), '--floor', uri, TOPIC]);
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as { events: number; seconds: number };
  return r.events / r.seconds;
}

/**
 * The replay before the work on one worker's speed began (issue 13), recorded by a full run of this benchmark on the
 * same archive and machine: commit BEFORE_COMMIT, 2026-11-24 (tools/bench/RESULTS.md of that commit). A full run on the
 * local fs also builds that commit and runs it side by side (`sideBySide`); HDFS, and a run that cannot build it, hold
 * this build against the recorded figure.
 */
const BEFORE: Record<string, { value: number; floor: number; commit: string }> = {
  'replay.local': { value: 278_727, floor: 305_391, commit: `${BEFORE_COMMIT} (2026-11-24)` },
  'replay.hdfs': { value: 118_648, floor: 93_801, commit: `${BEFORE_COMMIT} (2026-11-24)` },
};

async function measure(label: string, idPrefix: string, uri: string, runs: number, prefetchN: number, quick: boolean): Promise<BenchRow[]> {
  const { a: replays, b: floors } = await alternate(() => replayRate(uri, prefetchN), () => floorRate(uri), runs);
  const replay = median(replays.map((r) => r.rate));
  const base = median(floors);
  const ratio = replay / base;
  const { a: one } = await alternate(() => replayRate(uri, 1), async () => undefined, runs);
  const single = median(one.map((r) => r.rate));
  return [
    {
      id: `${idPrefix}.events-per-second`,
      title: `replay: oxbow sessions from hourly Parquet on ${label} (prefetch ${prefetchN}, listening)`,
      value: round(replay),
      unit: 'events/s',
      baseline: { title: `read + decode the same files only (${label})`, value: round(base), unit: 'events/s' },
      ratio: round(ratio, 2),
      goal: '>= 0.7 of read + decode',
      met: ratio >= 0.7,
      runs,
      peakRssMb: replays[0]?.rssMb === undefined ? undefined : round(Math.max(...replays.map((r) => r.rssMb ?? 0))),
      notes: `${replays[0]?.events ?? 0} events`,
    },
    ...(quick || BEFORE[idPrefix] === undefined ? [] : [{
      id: `${idPrefix}.vs-before`,
      title: `replay on ${label}: this build vs before (the same benchmark and archive)`,
      value: round(replay),
      unit: 'events/s',
      baseline: { title: `before: ${BEFORE[idPrefix]!.commit}, recorded`, value: BEFORE[idPrefix]!.value, unit: 'events/s' },
      ratio: round(replay / BEFORE[idPrefix]!.value, 2),
      goal: '>= 2x before',
      met: replay / BEFORE[idPrefix]!.value >= 2,
      runs,
      // The machine's speed drifts between days: each figure held against the read + decode floor of its own run.
      notes: `read + decode floor then ${BEFORE[idPrefix]!.floor.toLocaleString('en-US')}, now ${round(base).toLocaleString('en-US')} events/s; ` +
        `against each run's own floor, this build is ${(ratio / (BEFORE[idPrefix]!.value / BEFORE[idPrefix]!.floor)).toFixed(2)}x before`,
    } satisfies BenchRow]),
    {
      id: `${idPrefix}.prefetch`,
      title: `replay on ${label}: prefetch ${prefetchN} vs prefetch 1`,
      value: round(replay),
      unit: 'events/s',
      baseline: { title: 'prefetch 1', value: round(single), unit: 'events/s' },
      ratio: round(replay / single, 2),
      runs,
    },
  ];
}

/**
 * This build against the build before (bench-before.ts), run alternately on the archive the build before writes (the
 * same files; this build reads every archive version): `recorded`, the row held against the recorded figure, is
 * returned with the reason when the build before cannot be made.
 */
async function sideBySide(workDir: string, spec: BenchArchiveSpec, runs: number, prefetch: number, recorded: BenchRow): Promise<BenchRow> {
  const build = await beforeBuild(workDir);
  if ('skipped' in build) return { ...recorded, notes: `${recorded.notes ?? ''}; not measured side by side: ${build.skipped}` };
  const root = path.join(workDir, `replay-archive-${BEFORE_COMMIT}`);
  await rm(root, { recursive: true, force: true });
  const uri = `file://${root}`;
  await writeArchiveBefore(build, uri, spec);
  const { a: before, b: now } = await alternate(() => replayRate(uri, prefetch, build.bin), () => replayRate(uri, prefetch), runs);
  if (before[0]!.events !== now[0]!.events) throw new Error(`bench: the build before replayed ${before[0]!.events} events, this build ${now[0]!.events}`);
  const was = median(before.map((r) => r.rate));
  const is = median(now.map((r) => r.rate));
  return {
    id: recorded.id,
    title: `replay on the local fs: this build vs before (${BEFORE_COMMIT}, built from this repository), run alternately on the files it writes`,
    value: round(is),
    unit: 'events/s',
    baseline: { title: `before: ${BEFORE_COMMIT}, measured in this run`, value: round(was), unit: 'events/s' },
    ratio: round(is / was, 2),
    goal: '>= 2x before',
    met: is / was >= 2,
    runs,
    notes: `${now[0]!.events} events; against the figure recorded on 2026-11-24: ${recorded.ratio}x (${recorded.notes ?? ''})`,
  };
}

export const benchmark: Benchmark = {
  name: 'replay',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const spec: BenchArchiveSpec = ctx.quick
      ? { topic: TOPIC, partitions: 2, users: 1000, hours: 48, eventsPerHour: 400, startMs: Date.UTC(2025, 0, 1), seed: 7 }
      : { topic: TOPIC, partitions: 4, users: 5000, hours: 24 * 14, eventsPerHour: 3000, startMs: Date.UTC(2025, 0, 1), seed: 7 };
    const runs = ctx.quick ? 1 : 3;
    const rows: BenchRow[] = [];
    const localRoot = path.join(ctx.workDir, 'replay-archive');
    const local = openArchiveFs(`file://${localRoot}`);
    await writeBenchArchive(local.fs, local.root, spec);
    rows.push(...(await measure('the local fs', 'replay.local', `file://${localRoot}`, runs, 4, ctx.quick)));
    const recorded = rows.findIndex((r) => r.id === 'replay.local.vs-before');
    if (recorded >= 0) rows[recorded] = await sideBySide(ctx.workDir, spec, runs, 4, rows[recorded]!);
    if (!ctx.webhdfsUrl) {
      rows.push({ id: 'replay.hdfs.events-per-second', title: 'replay from HDFS', value: Number.NaN, unit: 'events/s', notes: 'skipped: no OXBOW_WEBHDFS_URL' });
      return rows;
    }
    const hdfsUri = `webhdfs://${new URL(ctx.webhdfsUrl).host}/oxbow-bench/replay-${Date.now()}`;
    const hdfs = openArchiveFs(hdfsUri);
    try {
      await writeBenchArchive(hdfs.fs, hdfs.root, spec);
      rows.push(...(await measure('HDFS', 'replay.hdfs', hdfsUri, runs, 8, ctx.quick)));
    } finally {
      await hdfs.fs.delete(hdfs.root, { recursive: true }).catch(() => false);
    }
    return rows;
  },
};

if (process.argv[2] === '--floor') {
  floor(process.argv[3]!, process.argv[4]!).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err: unknown) => {
      process.stderr.write(`replay floor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
