// Live catch-up: `oxbow sessions --stop-at-live` over a Kafka-only backlog against a plain kafkajs consume of the same topic, alternated (goal >= 80%).

import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { type BenchArchiveSpec, tailEvents } from './bench-archive.js';
import { benchKafka, deleteTopic, produceRecords, scratchTopic } from './bench-kafka.js';
import { alternate, type ChildRun, consumeRun, median, oxbowBin, runNode, summaryNumber } from './bench-measure.js';

const PARTITIONS = 4;

export const benchmark: Benchmark = {
  name: 'catch-up',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const brokers = ctx.kafkaBrokers;
    if (!brokers) throw new Error('catch-up needs Kafka: set OXBOW_KAFKA_BROKERS (npm run bench starts the services when it is unset)');
    const events = ctx.quick ? 40_000 : 1_000_000;
    const runs = ctx.quick ? 1 : 3;
    const spec: BenchArchiveSpec = { topic: 'unused', partitions: PARTITIONS, users: ctx.quick ? 2_000 : 20_000, hours: 24, eventsPerHour: Math.ceil(events / 24), startMs: Date.UTC(2026, 10, 1), seed: 5 };
    const records = tailEvents(spec, spec.startMs, Math.ceil(spec.hours));
    const kafka = benchKafka(brokers);
    const topic = await scratchTopic(kafka, brokers, 'catch-up', PARTITIONS);
    try {
      await produceRecords(kafka, brokers, topic, records);
      const n = records.length;
      const plainRun = (args: string[]) => consumeRun('bench-consume.js', 'kafkajs', brokers, topic, n, args);
      // The same consume with oxbow's record decoder, run after each plain one: how much of oxbow's speed is its decoder.
      const decoded: ChildRun[] = [];
      const oxbowArgs = [oxbowBin, 'sessions', '--brokers', brokers, '--topic', topic, '--stop-at-live', '--aggregate', 'listening', '--gap', '30m', '--output', '-'];
      const { a: oxbow, b: plain } = await alternate(
        async () => {
          // A stalled run is stopped rather than holding the suite for 20 minutes: SIGINT, which /usr/bin/time ignores
          // and oxbow answers by stopping with its summary, so the figure says how far it got.
          const limitS = Math.max(60, n / 5_000);
          const run = await runNode(oxbowArgs, { ignoreStdout: true, timeoutMs: limitS * 1000, timeoutSignal: 'SIGINT' });
          const read = summaryNumber(run.stderr, 'records read');
          if (read !== n) throw new Error(`catch-up: oxbow sessions read ${read} records of the ${n} produced${run.timedOut ? ` and was stopped after ${limitS} s` : ''}`);
          return run;
        },
        async () => {
          const run = await plainRun([]);
          decoded.push(await plainRun(['--oxbow-decoder']));
          return run;
        },
        runs,
      );
      const oxbowRate = n / median(oxbow.map((r) => r.wallS));
      const plainRate = n / median(plain.map((r) => r.wallS));
      const decodedRate = n / median(decoded.map((r) => r.wallS));
      return [{
        id: 'catch-up.events-per-second',
        title: `oxbow sessions --stop-at-live, Kafka-only backlog (${n.toLocaleString('en-US')} events, ${PARTITIONS} partitions, listening)`,
        value: oxbowRate,
        unit: 'events/s',
        baseline: { title: 'plain kafkajs consume', value: plainRate, unit: 'events/s' },
        ratio: oxbowRate / plainRate,
        goal: '>= 0.8 of plain kafkajs',
        // The goal is stated for the full topic; a quick run only keeps the benchmark from rotting.
        met: ctx.quick ? undefined : oxbowRate / plainRate >= 0.8,
        runs,
        peakRssMb: Math.max(...oxbow.map((r) => r.peakRssMb ?? 0)),
        notes: `whole-process wall time incl. start-up and group join; plain consume peak RSS ${Math.round(Math.max(...plain.map((r) => r.peakRssMb ?? 0)))} MB; switch pause ${summaryNumber(oxbow[0]!.stderr, 'switch pause')} ms`,
      }, {
        id: 'catch-up.oxbow-decoder-records-per-second',
        title: `plain kafkajs consume with oxbow's record decoder vs without (the same topic)`,
        value: decodedRate,
        unit: 'records/s',
        baseline: { title: 'plain kafkajs consume', value: plainRate, unit: 'records/s' },
        ratio: decodedRate / plainRate,
        goal: 'report: what oxbow\'s record decoder (connectors/kafka/record-decoder.ts) gives a consume by itself',
        runs,
        peakRssMb: Math.max(...decoded.map((r) => r.peakRssMb ?? 0)),
        notes: 'whole-process wall time, run right after each plain consume',
      }];
    } finally {
      await deleteTopic(kafka, brokers, topic).catch(() => {});
    }
  },
};
