// One worker thread of a parallel `oxbow sessions` (parallel-sessions.ts starts it; docs/scaling.md). It opens its own
// archive, Kafka and storage clients and runs one job per partition it owns: the partitions it was dealt, or, with
// --group, those the Kafka consumer group assigns it, which change as processes join and leave.

import { parentPort, workerData } from 'node:worker_threads';
import { GroupMember } from '../../connectors/kafka/group-member.js';
import { OxbowError } from '../errors.js';
import { enableHeapPacing } from '../heap-pacer.js';
import { openPartitionJob, PartitionJobs } from '../job/partition-jobs.js';
import { formatLogRecord, formatLogRecordJson, getLogger, setLogSink } from '../logger.js';
import { kafkaClient } from './kafka-client.js';
import type { WorkerData, WorkerMessage } from './parallel-sessions.js';
import { readSessionsFlags, sessionsSpec } from './commands/sessions.js';
import { openParallelPorts, type ParallelPorts } from './sessions-ports.js';

const log = getLogger('sessions');
const data = workerData as WorkerData;
const port = parentPort!;
const tell = (m: WorkerMessage): void => port.postMessage(m);

/** How often a worker with nothing left to run looks whether every partition of the job has ended. */
const FINISHED_POLL_MS = 1000;

async function main(): Promise<void> {
  const format = data.log.format === 'json' ? formatLogRecordJson : formatLogRecord;
  setLogSink((record) => process.stderr.write(format({ ...record, fields: { worker: data.index, ...record.fields } }) + '\n'), data.log.level, data.log.format);
  enableHeapPacing();
  const { flags } = data;
  const read = readSessionsFlags(flags);
  const ports = await openParallelPorts(flags, process.stdout, data.eventTimeGiven);
  const spec = sessionsSpec(flags, read, ports);
  // A partition whose newest checkpoint is final has nothing left to do when this run, too, ends at the end of its input.
  const endsAtEnd = flags.stopAtLive || !flags.brokers;
  const jobs = new PartitionJobs({ open: (partition, signal) => openPartitionJob(spec, ports, partition, signal, endsAtEnd) });
  jobs.on('progress', ({ payload }) => tell({ type: 'progress', ...payload }));
  jobs.on('ended', ({ payload }) => tell({ type: 'ended', ...payload }));
  jobs.on('fenced', ({ payload }) => tell({ type: 'fenced', ...payload }));

  let stopRequested = false;
  let wake: () => void = () => {};
  port.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    stopRequested = true;
    wake();
  });
  // Listening for a stop must not keep the thread alive once its jobs are done.
  port.unref();
  const failure = jobs.firstFailure();
  void failure.then(() => wake());

  let member: GroupMember | null = null;
  if (data.group !== null) {
    const kafka = await kafkaClient(flags, flags.brokers!, `oxbow-sessions-${data.group}`);
    member = new GroupMember({ kafka, brokers: flags.brokers!, groupId: data.group, topic: ports.topic, sessionTimeoutMs: data.sessionTimeoutMs });
    let fatal: Error | null = null;
    await member.start({
      onAssigned: (partitions) => {
        jobs.assign(partitions);
        tell({ type: 'owned', partitions });
      },
      // Every partition stops with a savepoint: the next assignment restores whichever of them this worker keeps.
      onRevoking: () => { jobs.assign([]); },
      onFatal: (err) => { fatal = err; wake(); },
    });
    try {
      while (!stopRequested && !jobs.error && !fatal) {
        if (endsAtEnd && jobs.owned().length === 0 && await allEnded(ports)) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, FINISHED_POLL_MS);
        });
      }
    } finally {
      await jobs.releaseAll();
      await member.stop();
    }
    if (fatal) throw fatal;
  } else {
    tell({ type: 'owned', partitions: data.partitions! });
    jobs.assign(data.partitions!);
    await Promise.race([jobs.idle(), failure, new Promise<void>((resolve) => { wake = resolve; })]);
    await jobs.releaseAll();
  }
  if (jobs.error) throw jobs.error;
}

/** Whether every partition of the topic has a final checkpoint (what a member waits for before it leaves the group). */
async function allEnded(ports: ParallelPorts): Promise<boolean> {
  for (const partition of ports.partitions) {
    const latest = await ports.store(partition)?.latest();
    if (!latest || latest.checkpoint.counters.finished !== 1) return false;
  }
  return true;
}

main().then(
  () => tell({ type: 'done' }),
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    log.debug('worker failed', { error: e.stack ?? e.message });
    tell({ type: 'failed', name: e.name, message: e.message, exitCode: e instanceof OxbowError ? e.exitCode : 1 });
  },
);
