// Parallel replay: `oxbow sessions --co-partitioned --workers 2` (worker processes) and `--workers 2` without it
// (engine threads) against the single job over the replay benchmark's archive (4 partitions of hourly Parquet files,
// local fs), alternating runs: events/s of the whole process and peak RSS of each, and the outputs compared (the same
// sessions, or the benchmark fails).

import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { LocalFs } from '../../connectors/local/local-fs.js';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { writeBenchArchive } from './bench-archive.js';
import { alternate, median, oxbowBin, runNode, summaryNumber } from './bench-measure.js';

/** Every published line under `dir` (any depth: a parallel job writes one folder per partition), sorted, hashed. */
async function outputDigest(dir: string): Promise<{ lines: number; sha: string }> {
  const lines: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== '_pending') await walk(path.join(d, e.name));
      else if (e.isFile() && e.name.startsWith('part-')) lines.push(...(await readFile(path.join(d, e.name), 'utf8')).split('\n').filter(Boolean));
    }
  };
  await walk(dir);
  lines.sort();
  return { lines: lines.length, sha: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

export const benchmark: Benchmark = {
  name: 'workers',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const root = path.join(ctx.workDir, 'workers-archive');
    // The replay benchmark's archive (tools/bench/replay.ts), four partitions in quick mode too.
    const built = await writeBenchArchive(new LocalFs(), root, ctx.quick
      ? { topic: 'listens', partitions: 4, users: 1000, hours: 48, eventsPerHour: 400, startMs: Date.UTC(2025, 0, 1), seed: 7 }
      : { topic: 'listens', partitions: 4, users: 5000, hours: 24 * 14, eventsPerHour: 3000, startMs: Date.UTC(2025, 0, 1), seed: 7 });
    const runs = ctx.quick ? 1 : 5;
    const digests = new Set<string>();
    const once = async (workers: number, i: number, threads = false) => {
      const out = path.join(ctx.workDir, `workers-out-${workers}-${i}`);
      const args = [oxbowBin, 'sessions', '--archive', `file://${root}`, '--aggregate', 'listening', '--gap', '30m', '--output', `file://${out}`,
        ...(workers > 1 ? [...(threads ? [] : ['--co-partitioned']), '--workers', String(workers)] : [])];
      try {
        const run = await runNode(args);
        const events = summaryNumber(run.stderr, 'events');
        if (events !== built.records) throw new Error(`workers: ${workers} worker(s) replayed ${events} events of the ${built.records} archived`);
        const digest = await outputDigest(out);
        digests.add(`${digest.lines} ${digest.sha}`);
        // A parallel run is several processes: the sum of their peaks (the summary's line), an upper bound of the whole.
        const parallel = /^\s+peak RSS\s+this process (\d+) MB, workers ([\d, ]+) MB$/m.exec(run.stderr);
        if (workers > 1 && !threads && !parallel) throw new Error(`workers: no peak RSS line in the summary of --workers ${workers}:\n${run.stderr.slice(-800)}`);
        const rssMb = parallel ? Number(parallel[1]) + parallel[2]!.split(',').reduce((n, x) => n + Number(x), 0) : run.peakRssMb ?? NaN;
        return { perSecond: events / run.wallS, rssMb, cpuS: run.cpuS, wallS: run.wallS };
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    };
    // Two processes, each one job over half the partitions (what two members of a group do), for comparison: threads
    // share one process's allocator, file-system thread pool and V8 platform.
    const halves = async (i: number) => {
      const outs = [0, 1].map((h) => path.join(ctx.workDir, `workers-out-half-${h}-${i}`));
      try {
        const t0 = process.hrtime.bigint();
        const ran = await Promise.all(outs.map((out, h) => runNode([oxbowBin, 'sessions', '--archive', `file://${root}`, '--aggregate', 'listening', '--gap', '30m',
          '--output', `file://${out}`, '--partitions', h === 0 ? '0,2' : '1,3'])));
        const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
        const events = ran.reduce((n, r) => n + summaryNumber(r.stderr, 'events'), 0);
        if (events !== built.records) throw new Error(`workers: two processes replayed ${events} events of the ${built.records} archived`);
        return events / wallS;
      } finally {
        for (const out of outs) await rm(out, { recursive: true, force: true });
      }
    };
    try {
      const { a: one, b: two } = await alternate((i) => once(1, i), (i) => once(2, i), runs);
      const { a: oneAgain, b: threads } = await alternate((i) => once(1, i), (i) => once(2, i, true), runs);
      const processes: number[] = [];
      for (let i = 0; i < runs; i++) processes.push(await halves(i));
      if (digests.size !== 1) throw new Error(`workers: the single job and --workers 2 published different sessions (${[...digests].join(' / ')})`);
      const oneAgainRate = median(oneAgain.map((r) => r.perSecond));
      const threadsRate = median(threads.map((r) => r.perSecond));
      const oneRate = median(one.map((r) => r.perSecond));
      const twoRate = median(two.map((r) => r.perSecond));
      const files = built.files.toLocaleString('en-US');
      return [{
        id: 'workers.replay-2-vs-1',
        title: `oxbow sessions over ${files} local Parquet files (4 partitions, ${built.records.toLocaleString('en-US')} events): --workers 2 vs one job, events/s of the whole process`,
        value: Math.round(twoRate),
        unit: 'events/s',
        baseline: { title: 'one job (one thread)', value: Math.round(oneRate), unit: 'events/s' },
        ratio: twoRate / oneRate,
        goal: '>= 1.7 on 2 cores',
        met: ctx.quick ? undefined : twoRate / oneRate >= 1.7,
        runs,
        peakRssMb: median(two.map((r) => r.rssMb)),
        notes: `peak RSS: 2 workers (the command and its workers, summed) ${two.map((r) => Math.round(r.rssMb)).join(', ')} MB, one job ${one.map((r) => Math.round(r.rssMb)).join(', ')} MB; ` +
          `wall ${two.map((r) => r.wallS.toFixed(1)).join(', ')} s vs ${one.map((r) => r.wallS.toFixed(1)).join(', ')} s; ` +
          `CPU ${two.map((r) => r.cpuS.toFixed(1)).join(', ')} s vs ${one.map((r) => r.cpuS.toFixed(1)).join(', ')} s; the same ${[...digests][0]!.split(' ')[0]} sessions; ` +
          `two processes, each one job over half the partitions: ${Math.round(median(processes)).toLocaleString('en-US')} events/s (${(median(processes) / oneRate).toFixed(2)} of one job)`,
      }, {
        id: 'workers.threads-2-vs-1',
        title: `the same archive read as a topic not co-partitioned: --workers 2 (the engine in 2 threads by key hash, one reader) vs one job, events/s`,
        value: Math.round(threadsRate),
        unit: 'events/s',
        baseline: { title: 'one job (one thread)', value: Math.round(oneAgainRate), unit: 'events/s' },
        ratio: threadsRate / oneAgainRate,
        runs,
        peakRssMb: median(threads.map((r) => r.rssMb)),
        notes: `report only (reading and decoding stay on one thread; the threads take the engine's share); peak RSS ${threads.map((r) => Math.round(r.rssMb)).join(', ')} MB vs ${oneAgain.map((r) => Math.round(r.rssMb)).join(', ')} MB; ` +
          `CPU ${threads.map((r) => r.cpuS.toFixed(1)).join(', ')} s vs ${oneAgain.map((r) => r.cpuS.toFixed(1)).join(', ')} s; the same sessions`,
      }];
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};
