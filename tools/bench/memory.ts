// Memory of a long replay: peak RSS of `oxbow sessions` over 1, 3 and 12 months of hourly files (same users), and the time to list a 100,000-file archive.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../src/archive/jsonl-format.js';
import { partitionDir } from '../../src/archive/file-name.js';
import { formatRegistry } from '../../src/archive/partition-index.js';
import { listPartitionFiles } from '../../src/archive/reader.js';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { type BenchArchiveSpec, writeBenchArchive } from './bench-archive.js';
import { alternate, median, oxbowBin, runNode, summaryNumber } from './bench-measure.js';

const TOPIC = 'listens';
const formats = formatRegistry([parquetFormat, jsonlGzFormat]);

interface Scale {
  /** Hours that stand for one month (730 in a full run; a day in quick mode, so the shape stays and the data is small). */
  hoursPerMonth: number;
  users: number;
  eventsPerHour: number;
  /** Files of the listing archive, over 4 partitions. */
  listingFiles: number;
}

const FULL: Scale = { hoursPerMonth: 730, users: 5_000, eventsPerHour: 300, listingFiles: 100_000 };
const QUICK: Scale = { hoursPerMonth: 24, users: 1_000, eventsPerHour: 200, listingFiles: 1_500 };

/** The preload that samples the live heap (tools/bench/live-heap-probe.ts, compiled beside this file). */
const liveHeapProbe = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'live-heap-probe.js')).href;

interface ReplayMemory {
  /** Median peak RSS over the runs; each run's in `rssRunsMb`. */
  rssMb: number;
  rssRunsMb: number[];
  /** Heap in use after a forced collection: the most, and the median over the run (a second run, probed). */
  liveMaxMb: number;
  liveMedianMb: number;
  events: number;
  wallS: number;
  files: number;
}

/**
 * Peak RSS of `runs` replays of the same archive (median reported, each kept: it moves by tens of MB from run to run with
 * when V8 collects the old generation), then the live heap of one more, probed.
 */
async function replayRss(ctx: BenchContext, scale: Scale, months: number, runs: number): Promise<ReplayMemory> {
  const root = path.join(ctx.workDir, `memory-${months}m`);
  const spec: BenchArchiveSpec = { topic: TOPIC, partitions: 2, users: scale.users, hours: months * scale.hoursPerMonth, eventsPerHour: scale.eventsPerHour, startMs: Date.UTC(2025, 0, 1), seed: 3 };
  try {
    const built = await writeBenchArchive(new LocalFs(), root, spec);
    const sessions = [oxbowBin, 'sessions', '--archive', `file://${root}`, '--aggregate', 'listening', '--gap', '30m', '--output', '-'];
    const rssRunsMb: number[] = [];
    let run: Awaited<ReturnType<typeof runNode>> | undefined;
    let events = 0;
    for (let i = 0; i < runs; i++) {
      run = await runNode(sessions, { ignoreStdout: true });
      events = summaryNumber(run.stderr, 'events');
      if (events !== built.records) throw new Error(`memory: oxbow sessions replayed ${events} events of the ${built.records} archived`);
      if (run.peakRssMb === undefined) throw new Error('memory: no peak RSS (needs /usr/bin/time, Debian package time)');
      rssRunsMb.push(run.peakRssMb);
    }
    // Collecting every 250 ms changes what the kernel sees, so the live heap comes from a run of its own.
    const probed = await runNode(['--expose-gc', '--import', liveHeapProbe, ...sessions], { ignoreStdout: true });
    const live = /^live-heap ([\d.]+) ([\d.]+) (\d+)$/m.exec(probed.stderr);
    if (!live) throw new Error(`memory: the live-heap probe printed nothing:\n${probed.stderr.slice(-1500)}`);
    return { rssMb: median(rssRunsMb), rssRunsMb, liveMaxMb: Number(live[1]), liveMedianMb: Number(live[2]), events, wallS: run!.wallS, files: built.files };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Lists every partition through the reader API (index checked against the folder) and, as the floor, only lists the folders. */
async function listingTimes(ctx: BenchContext, files: number, runs: number): Promise<{ files: number; readerS: number; floorS: number; inspectS: number }> {
  const root = path.join(ctx.workDir, 'listing');
  const partitions = 4;
  const fs = new LocalFs();
  try {
    // About 20 events an hour per partition, so nearly every hour gives every partition a (tiny) file.
    const built = await writeBenchArchive(fs, root, { topic: TOPIC, partitions, users: 400, hours: Math.ceil(files / partitions), eventsPerHour: 160, startMs: Date.UTC(2023, 0, 1), seed: 4 }, 8);
    const time = async (fn: () => Promise<number>): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const n = await fn();
      if (n !== built.files) throw new Error(`memory: listing found ${n} files, ${built.files} were written`);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const { a, b } = await alternate(
      () => time(async () => {
        let n = 0;
        for (let p = 0; p < partitions; p++) n += (await listPartitionFiles(fs, root, TOPIC, p, formats)).length;
        return n;
      }),
      () => time(async () => {
        let n = 0;
        for (let p = 0; p < partitions; p++) n += (await fs.list(partitionDir(root, TOPIC, p))).filter((s) => s.name.endsWith('.parquet')).length;
        return n;
      }),
      runs,
    );
    const inspect = await runNode([oxbowBin, 'inspect', '--archive', `file://${root}`, '--json'], { ignoreStdout: true });
    return { files: built.files, readerS: median(a), floorS: median(b), inspectS: inspect.wallS };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'memory',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const scale = ctx.quick ? QUICK : FULL;
    const month = ctx.quick ? `${scale.hoursPerMonth} h` : 'month';
    const runs = ctx.quick ? 1 : 3;
    const one = await replayRss(ctx, scale, 1, runs);
    const three = await replayRss(ctx, scale, 3, runs);
    const twelve = await replayRss(ctx, scale, 12, runs);
    const each = (m: ReplayMemory) => m.rssRunsMb.map((x) => Math.round(x)).join(', ');
    const rows: BenchRow[] = [];
    const users = `${scale.users.toLocaleString('en-US')} users, 2 partitions, hourly files, listening`;
    rows.push({
      id: 'memory.peak-rss.12-vs-1',
      title: `oxbow sessions peak RSS, 12 x ${month} (${twelve.files.toLocaleString('en-US')} files, ${twelve.events.toLocaleString('en-US')} events) vs 1 (${users})`,
      value: twelve.rssMb,
      unit: 'MB',
      baseline: { title: `1 x ${month}`, value: one.rssMb, unit: 'MB' },
      ratio: twelve.rssMb / one.rssMb,
      goal: '12 months <= 1.2x 1 month',
      // Quick "months" of 24 hours hold too little to say anything about the goal.
      met: ctx.quick ? undefined : twelve.rssMb / one.rssMb <= 1.2,
      runs,
      peakRssMb: twelve.rssMb,
      notes: `runs: 12 x ${month} ${each(twelve)} MB, 1 x ${each(one)} MB; 3 x ${month}: ${Math.round(three.rssMb)} MB; replay ${Math.round(twelve.events / twelve.wallS).toLocaleString('en-US')} events/s over 12, ${Math.round(one.events / one.wallS).toLocaleString('en-US')} over 1 (whole process)`,
    });
    rows.push({
      id: 'memory.peak-rss.3-vs-1',
      title: `oxbow sessions peak RSS, 3 x ${month} vs 1 (${users})`,
      value: three.rssMb,
      unit: 'MB',
      baseline: { title: `1 x ${month}`, value: one.rssMb, unit: 'MB' },
      ratio: three.rssMb / one.rssMb,
      goal: '<= 1.2x 1 month',
      met: ctx.quick ? undefined : three.rssMb / one.rssMb <= 1.2,
      runs,
      peakRssMb: three.rssMb,
    });
    rows.push({
      id: 'memory.live-heap.12-vs-1',
      title: `oxbow sessions live heap (in use after a forced collection, sampled every 250 ms), most over 12 x ${month} vs 1`,
      value: twelve.liveMaxMb,
      unit: 'MB',
      baseline: { title: `1 x ${month}`, value: one.liveMaxMb, unit: 'MB' },
      ratio: twelve.liveMaxMb / one.liveMaxMb,
      goal: 'what oxbow holds does not grow with the archive\'s length',
      runs: 1,
      notes: `median over the run: 12 x ${month} ${twelve.liveMedianMb.toFixed(1)} MB, 3 x ${three.liveMedianMb.toFixed(1)} MB, 1 x ${one.liveMedianMb.toFixed(1)} MB; most over 3 x ${month}: ${three.liveMaxMb.toFixed(1)} MB`,
    });
    const listing = await listingTimes(ctx, scale.listingFiles, ctx.quick ? 1 : 3);
    rows.push({
      id: 'memory.list-archive',
      title: `list a ${listing.files.toLocaleString('en-US')}-file archive (reader API: index checked against the folder, 4 partitions, local fs)`,
      value: listing.readerS,
      unit: 's',
      baseline: { title: 'folder listing alone', value: listing.floorS, unit: 's' },
      ratio: listing.readerS / listing.floorS,
      goal: 'no file opened: close to the folder listing',
      runs: ctx.quick ? 1 : 3,
      notes: `oxbow inspect --json over it: ${listing.inspectS.toFixed(2)} s wall (whole process)`,
    });
    return rows;
  },
};
