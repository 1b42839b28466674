// `oxbow archive` throughput against a plain kafkajs consume of the same topic (goal >= 80%), and its peak RSS at small and huge rotation sizes.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { produceBulk } from '../../connectors/kafka/bulk-producer.js';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { benchKafka, deleteTopic, scratchTopic } from './bench-kafka.js';
import { alternate, benchScript, median, oxbowBin, round, runNode } from './bench-measure.js';

const PARTITIONS = 4;
const RSS_GOAL_MB = 300;

function musicEvent(i: number): { key: string; value: string } {
  const user = i % 20_000;
  return { key: `u${user}`, value: JSON.stringify({ userId: `u${user}`, ts: 1_732_406_400_000 + i * 250, type: 'song', songId: `s${i % 5000}`, playlistId: `pl${i % 40}` }) };
}

export const benchmark: Benchmark = {
  name: 'archive',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const brokers = ctx.kafkaBrokers;
    if (!brokers) throw new Error('archive needs Kafka: set OXBOW_KAFKA_BROKERS (npm run bench starts the services when it is unset)');
    const n = ctx.quick ? 40_000 : 1_000_000;
    const runs = ctx.quick ? 1 : 3;
    const kafka = benchKafka(brokers);
    const topic = await scratchTopic(kafka, brokers, 'archive', PARTITIONS);
    const dir = await mkdtemp(path.join(ctx.workDir, 'oxbow-bench-archive-'));
    const rows: BenchRow[] = [];
    try {
      await produceBulk(kafka, brokers, topic, n, musicEvent);
      let run = 0;
      // Each oxbow run archives the whole topic into a fresh folder with a fresh group: the same work as the plain consume.
      const archiveRun = (format: string, rotate: string[], archive?: string, env?: NodeJS.ProcessEnv) => {
        const id = run++;
        return runNode([oxbowBin, 'archive', '--brokers', brokers, '--topic', topic, '--archive', archive ?? `file://${dir}/run-${id}`,
          '--format', format, '--event-time', 'ts', '--group', `${topic}-bench-${id}`, '--until-caught-up', ...rotate], env ? { env } : {});
      };
      const checked = (r: Awaited<ReturnType<typeof runNode>>) => {
        const records = (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { records?: number }).records;
        if (records !== n) throw new Error(`archive bench: oxbow archived ${records} of ${n} records`);
        return r;
      };
      for (const format of ['parquet', 'jsonl.gz']) {
        const { a: oxbow, b: plain } = await alternate(
          async () => checked(await archiveRun(format, ['--rotate-records', '100000'])),
          () => runNode([benchScript('bench-consume.js'), brokers, topic]),
          runs,
        );
        const oxbowRate = n / median(oxbow.map((r) => r.wallS));
        const plainRate = n / median(plain.map((r) => r.wallS));
        const peak = Math.max(...oxbow.map((r) => r.peakRssMb ?? 0));
        rows.push({
          id: `archive.${format === 'parquet' ? 'parquet' : 'jsonl'}.records-per-second`,
          title: `oxbow archive --format ${format} to the local fs (${n.toLocaleString('en-US')} records, ${PARTITIONS} partitions, 100k per file)`,
          value: round(oxbowRate),
          unit: 'records/s',
          baseline: { title: 'plain kafkajs consume of the same topic', value: round(plainRate), unit: 'records/s' },
          ratio: round(oxbowRate / plainRate, 3),
          goal: '>= 0.8 of plain kafkajs',
          met: ctx.quick ? undefined : oxbowRate / plainRate >= 0.8,
          runs,
          peakRssMb: round(peak, 1),
          notes: `whole-process wall time incl. start-up, group join and the last publish; oxbow CPU ${round(median(oxbow.map((r) => r.cpuS)), 1)} s, plain CPU ${round(median(plain.map((r) => r.cpuS)), 1)} s`,
        });
      }
      // Memory must not grow with the rotation size: a file holds one row group in memory, not the whole file.
      // V8 grows its heap lazily under this allocation rate; a heap cap trades some speed for a hard memory bound.
      const capped = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256`.trim() };
      for (const [records, env] of [['10000', undefined], [String(n * 10), undefined], [String(n * 10), capped]] as const) {
        const t0 = Date.now();
        const r = checked(await archiveRun('parquet', ['--rotate-records', records, '--rotate-bytes', '100GiB'], undefined, env));
        rows.push({
          id: `archive.peak-rss.rotate-${records === '10000' ? 'small' : 'huge'}${env ? '.heap-256' : ''}`,
          title: `oxbow archive peak RSS, --rotate-records ${Number(records).toLocaleString('en-US')} (${n.toLocaleString('en-US')} records)${env ? ', NODE_OPTIONS=--max-old-space-size=256' : ''}`,
          notes: `${round(n / ((Date.now() - t0) / 1000))} records/s in this run`,
          value: round(r.peakRssMb ?? Number.NaN, 1),
          unit: 'MB',
          goal: `< ${RSS_GOAL_MB} MB at any rotation size`,
          met: r.peakRssMb === undefined ? undefined : r.peakRssMb < RSS_GOAL_MB,
          runs: 1,
          peakRssMb: r.peakRssMb,
        });
      }
      if (ctx.webhdfsUrl) {
        const url = new URL(ctx.webhdfsUrl);
        const r = checked(await archiveRun('parquet', ['--rotate-records', '100000'], `webhdfs://${url.host}/oxbow-bench/${topic}`));
        rows.push({
          id: 'archive.hdfs.records-per-second',
          title: `oxbow archive --format parquet to HDFS (${n.toLocaleString('en-US')} records)`,
          value: round(n / r.wallS),
          unit: 'records/s',
          goal: 'report',
          runs: 1,
          peakRssMb: r.peakRssMb,
        });
      }
    } finally {
      await deleteTopic(kafka, brokers, topic).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const rows = await benchmark.run({ quick, workDir: tmpdir(), kafkaBrokers: process.env.OXBOW_KAFKA_BROKERS, webhdfsUrl: process.env.OXBOW_WEBHDFS_URL });
  for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
}
