// The native floor of Kafka reading: kcat consuming a topic to /dev/null against a plain kafkajs consume of the same topic,
// alternated; and a plain @platformatic/kafka consume of the same topic beside them (report only: oxbow uses kafkajs).

import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { type BenchArchiveSpec, tailEvents } from './bench-archive.js';
import { benchKafka, deleteTopic, findKcat, kcatConsume, produceRecords, scratchTopic } from './bench-kafka.js';
import { alternate, type ChildRun, consumeRun, median } from './bench-measure.js';

const PARTITIONS = 4;

/**
 * Records/s of kcat and of plain kafkajs over one topic that holds `records` records. Exported so a benchmark with its
 * own topic (the archiver's) can put its figure next to the same floor.
 */
export async function kcatFloor(brokers: string, topic: string, records: number, runs: number): Promise<{ kcat: number | null; plain: number; plainRssMb: number }> {
  const kcat = findKcat();
  const plainRun = () => consumeRun('bench-consume.js', 'kafkajs', brokers, topic, records);
  if (!kcat) {
    const plain: Awaited<ReturnType<typeof plainRun>>[] = [];
    for (let i = 0; i < runs; i++) plain.push(await plainRun());
    return { kcat: null, plain: records / median(plain.map((r) => r.wallS)), plainRssMb: Math.max(...plain.map((r) => r.peakRssMb ?? 0)) };
  }
  const { a, b } = await alternate(() => kcatConsume(kcat, brokers, topic), plainRun, runs);
  return { kcat: records / median(a), plain: records / median(b.map((r) => r.wallS)), plainRssMb: Math.max(...b.map((r) => r.peakRssMb ?? 0)) };
}

export const benchmark: Benchmark = {
  name: 'kcat',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const brokers = ctx.kafkaBrokers;
    if (!brokers) throw new Error('kcat needs Kafka: set OXBOW_KAFKA_BROKERS (npm run bench starts the services when it is unset)');
    const target = ctx.quick ? 40_000 : 1_000_000;
    const runs = ctx.quick ? 1 : 3;
    const spec: BenchArchiveSpec = { topic: 'unused', partitions: PARTITIONS, users: 20_000, hours: 24, eventsPerHour: Math.ceil(target / 24), startMs: Date.UTC(2026, 10, 1), seed: 9 };
    const records = tailEvents(spec, spec.startMs, spec.hours);
    const kafka = benchKafka(brokers);
    const topic = await scratchTopic(kafka, brokers, 'kcat', PARTITIONS);
    try {
      await produceRecords(kafka, brokers, topic, records);
      const n = records.length;
      const got = await kcatFloor(brokers, topic, n, runs);
      const label = `${n.toLocaleString('en-US')} music events, ${PARTITIONS} partitions`;
      const platformaticRuns: ChildRun[] = [];
      for (let i = 0; i < runs; i++) platformaticRuns.push(await consumeRun('bench-consume-platformatic.js', '@platformatic/kafka', brokers, topic, n));
      const platformatic = n / median(platformaticRuns.map((r) => r.wallS));
      const platformaticRow: BenchRow = {
        id: 'kcat.platformatic-records-per-second',
        title: `plain @platformatic/kafka 1.22 consume vs plain kafkajs (${label})`,
        value: platformatic,
        unit: 'records/s',
        baseline: { title: 'plain kafkajs consume', value: got.plain, unit: 'records/s' },
        ratio: platformatic / got.plain,
        goal: 'report: the other pure-JS client on the same topic (oxbow keeps kafkajs)',
        runs,
        peakRssMb: Math.max(...platformaticRuns.map((r) => r.peakRssMb ?? 0)),
        notes: 'whole-process wall time, start-up and connection included; its async iterator, message by message',
      };
      if (got.kcat === null) {
        return [platformaticRow, {
          id: 'kcat.records-per-second',
          title: `kcat not installed: plain kafkajs consume only (${label})`,
          value: got.plain,
          unit: 'records/s',
          runs,
          peakRssMb: got.plainRssMb,
          notes: 'kcat not installed (Debian package kcat): no native floor in this run',
        }];
      }
      return [platformaticRow, {
        id: 'kcat.records-per-second',
        title: `plain kafkajs consume vs kcat -C to /dev/null (${label})`,
        value: got.plain,
        unit: 'records/s',
        baseline: { title: 'kcat (native floor)', value: got.kcat, unit: 'records/s' },
        ratio: got.plain / got.kcat,
        goal: 'report: how far a JS consumer is from native',
        runs,
        peakRssMb: got.plainRssMb,
        notes: 'whole-process wall time of each, start-up and connection included',
      }];
    } finally {
      await deleteTopic(kafka, brokers, topic).catch(() => {});
    }
  },
};
