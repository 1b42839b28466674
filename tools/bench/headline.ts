// The headline: a synthetic year on HDFS (4 partitions, hourly files, 20M events) backfilled into sessions, then a switch to the live tail on Kafka.

import { createHash } from 'node:crypto';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { partitionDir, topicDir } from '../../src/archive/file-name.js';
import { INDEX_FILE_NAME } from '../../src/archive/partition-index.js';
import type { ArchiveFs } from '../../src/archive-fs.js';
import { NotFoundError } from '../../src/errors.js';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { type BenchArchiveSpec, tailEvents, writeBenchArchive } from './bench-archive.js';
import { benchKafka, deleteRecordsBelow, deleteTopic, fillOffsets, produceRecords, topicExists, topicOffsets } from './bench-kafka.js';
import { oxbowBin, runNode, summaryField, summaryNumber } from './bench-measure.js';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';

const HOUR = 3_600_000;

/**
 * Hours per archive file in a full run. The local HDFS completes about 11 new files a second however many are written
 * at once (each close waits for the DataNode's block report), so the 35,040 hourly files of a year take ~53 minutes to
 * upload: the default groups 6 hours per file (5,840 files, ~9 minutes, once: the archive is kept for later runs).
 * OXBOW_BENCH_HEADLINE_FILE_HOURS=1 gives the hourly year.
 */
function fileHours(): number {
  const raw = process.env.OXBOW_BENCH_HEADLINE_FILE_HOURS;
  if (raw === undefined || raw === '') return 6;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 24) throw new Error(`OXBOW_BENCH_HEADLINE_FILE_HOURS=${raw}: give whole hours per archive file, 1 to 24`);
  return n;
}

function specFor(quick: boolean): { spec: Omit<BenchArchiveSpec, 'topic'>; tailHours: number } {
  return quick
    ? { spec: { partitions: 4, users: 2_000, hours: 48, eventsPerHour: 300, startMs: Date.UTC(2025, 0, 1), seed: 11, hoursPerFile: 1 }, tailHours: 2 }
    : { spec: { partitions: 4, users: 50_000, hours: 8_760, eventsPerHour: Math.round(20_000_000 / 8_760), startMs: Date.UTC(2025, 0, 1), seed: 11, hoursPerFile: fileHours() }, tailHours: 6 };
}

/** Archive records per partition as the index says, or null when the archive is not (completely) there. */
async function indexedRecords(fs: ArchiveFs, root: string, topic: string, partitions: number): Promise<bigint[] | null> {
  const next: bigint[] = [];
  for (let p = 0; p < partitions; p++) {
    try {
      const doc = JSON.parse(Buffer.from(await fs.readFile(`${partitionDir(root, topic, p)}/${INDEX_FILE_NAME}`)).toString('utf8')) as { files: { nextOffset: string }[] };
      const last = doc.files[doc.files.length - 1];
      if (!last) return null;
      next.push(BigInt(last.nextOffset));
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }
  return next;
}

export const benchmark: Benchmark = {
  name: 'headline',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const brokers = ctx.kafkaBrokers;
    const webhdfs = ctx.webhdfsUrl;
    if (!brokers || !webhdfs) throw new Error('headline needs Kafka and HDFS: set OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL (npm run bench starts the services when they are unset)');
    const { spec: base, tailHours } = specFor(ctx.quick);
    // The archive is named by its spec: a second run finds it on HDFS and skips minutes of generating and uploading.
    const tag = createHash('sha256').update(JSON.stringify({ base, tailHours, v: 1 })).digest('hex').slice(0, 10);
    const topic = `oxbow-bench-headline-${tag}`;
    const spec: BenchArchiveSpec = { ...base, topic };
    const uri = `webhdfs://${new URL(webhdfs).host}/oxbow-bench/headline-${tag}`;
    const { fs, root } = openArchiveFs(uri);

    const buildStarted = Date.now();
    let nextOffsets = await indexedRecords(fs, root, topic, spec.partitions);
    let built = 'reused from an earlier run';
    if (!nextOffsets) {
      await fs.delete(topicDir(root, topic), { recursive: true }).catch(() => false);
      const r = await writeBenchArchive(fs, root, spec, 8);
      nextOffsets = r.nextOffsets;
      built = `written in ${((Date.now() - buildStarted) / 1000).toFixed(0)} s (${r.files.toLocaleString('en-US')} files, ${(r.bytes / 2 ** 20).toFixed(0)} MiB)`;
    }
    const archived = nextOffsets.reduce((a, b) => a + b, 0n);

    // Kafka holds only the tail: offsets up to the archive's end are filled and deleted again, as retention would have.
    const tail = tailEvents(spec, spec.startMs + spec.hours * HOUR, tailHours);
    const tailCounts = nextOffsets.map((_, p) => BigInt(tail.filter((r) => r.partition === p).length));
    const kafka = benchKafka(brokers);
    let offsets = (await topicExists(kafka, brokers, topic)) ? await topicOffsets(kafka, brokers, topic) : null;
    const ready = offsets !== null && offsets.length === spec.partitions &&
      offsets.every((o) => o.earliest === nextOffsets![o.partition] && o.latest === nextOffsets![o.partition]! + tailCounts[o.partition]!);
    if (!ready) {
      if (offsets !== null) await deleteTopic(kafka, brokers, topic);
      await createTopicRetrying(kafka, brokers, topic, spec.partitions);
      await fillOffsets(kafka, brokers, topic, nextOffsets);
      await deleteRecordsBelow(kafka, brokers, topic, nextOffsets);
      await produceRecords(kafka, brokers, topic, tail);
      offsets = await topicOffsets(kafka, brokers, topic);
    }
    const setupS = (Date.now() - buildStarted) / 1000;

    const run = await runNode([oxbowBin, 'sessions', '--archive', uri, '--brokers', brokers, '--topic', topic, '--stop-at-live',
      '--aggregate', 'listening', '--gap', '30m', '--output', '-'], { ignoreStdout: true, timeoutMs: 60 * 60_000 });
    const records = summaryNumber(run.stderr, 'records read');
    const fromKafka = Number(/kafka (\d+)/.exec(summaryField(run.stderr, 'records read'))?.[1]);
    const expected = Number(archived) + tail.length;
    if (records !== expected || fromKafka !== tail.length) {
      throw new Error(`headline: oxbow sessions read ${records} records (${fromKafka} from Kafka); expected ${expected} (${tail.length} from Kafka)`);
    }
    const pause = summaryNumber(run.stderr, 'switch pause');
    const per = spec.hoursPerFile === 1 ? 'hourly files' : `a file per ${spec.hoursPerFile} h`;
    const label = `${ctx.quick ? `${spec.hours} h` : 'a year'}, ${spec.partitions} partitions, ${per} on HDFS, ${Number(archived).toLocaleString('en-US')} events, ${spec.users.toLocaleString('en-US')} users`;
    return [
      {
        id: 'headline.backfill-events-per-second',
        title: `headline: backfill ${label} + live tail of ${tail.length.toLocaleString('en-US')} on Kafka, listening`,
        value: records / run.wallS,
        unit: 'events/s',
        runs: 1,
        peakRssMb: run.peakRssMb,
        notes: `total ${run.wallS.toFixed(1)} s; archive ${built}; setup ${setupS.toFixed(0)} s; ${summaryField(run.stderr, 'session results')} sessions`,
      },
      {
        id: 'headline.total-time',
        title: 'headline: total time, start to every session fired',
        value: run.wallS,
        unit: 's',
        runs: 1,
        peakRssMb: run.peakRssMb,
      },
      {
        id: 'headline.switch-pause',
        title: 'headline: switch pause, archive end to first Kafka records (worst partition)',
        value: pause,
        unit: 'ms',
        goal: '< 1 s',
        met: pause < 1000,
        runs: 1,
      },
    ];
  },
};

/** A topic deleted a moment ago can still be "marked for deletion": creating it again is retried for a few seconds. */
async function createTopicRetrying(kafka: ReturnType<typeof benchKafka>, brokers: string, topic: string, partitions: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await createTopic(kafka, brokers, topic, partitions);
      const got = await topicOffsets(kafka, brokers, topic);
      if (got.length === partitions && got.every((o) => o.latest === 0n)) return;
      throw new Error(`topic ${topic} still holds old records`);
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
