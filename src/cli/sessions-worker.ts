// One worker of a parallel `oxbow sessions`: a child process parallel-sessions.ts forks (docs/scaling.md). It opens its
// own archive, Kafka and storage clients and runs one job per partition it owns: the partitions it was dealt, or, with
// --group, those the Kafka consumer group assigns it, which change as processes join and leave. It talks to its parent
// over the IPC channel, and stops with savepoints when asked, on SIGINT/SIGTERM, or when its parent is gone.

import { GroupMember } from '../../connectors/kafka/group-member.js';
import { installKafkaDecoding } from '../../connectors/kafka/record-decoder.js';
import { OxbowError } from '../errors.js';
import { enableHeapPacing } from '../heap-pacer.js';
import { openPartitionJob, PartitionJobs } from '../job/partition-jobs.js';
import { formatLogRecord, formatLogRecordJson, getLogger, setLogSink } from '../logger.js';
import { kafkaClient } from './kafka-client.js';
import type { WorkerData, WorkerMessage } from './parallel-sessions.js';
import { readSessionsFlags, restartable, sessionsSpec } from './commands/sessions.js';
import { openParallelPorts, type ParallelPorts } from './sessions-ports.js';

const log = getLogger('sessions');
const tell = (m: WorkerMessage): void => {
  // A parent that is gone hears nothing; the worker is stopping then anyway. A parent killed while a message is on its
  // way fails the send (EPIPE): without a callback that is an 'error' event on the process, which would end the worker
  // before its savepoints; with one, it is a stop like the channel's 'disconnect'.
  if (process.connected) process.send!(m, undefined, undefined, (err) => { if (err) stop(); });
};

/** How often a worker with nothing left to run looks whether every partition of the job has ended. */
const FINISHED_POLL_MS = 1000;

/** A stop asked for (by the parent, a signal, or the parent being gone) at any moment, also while the worker opens. */
let stopRequested = false;
let wake: () => void = () => {};
function stop(): void {
  stopRequested = true;
  wake();
}
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stop();
});
// A terminal's Ctrl-C reaches every process of the group; a parent killed outright closes the channel.
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);

/** Resolves at the next stop request or wake-up, or at once when a stop was already asked for. */
function stopOrWake(ms?: number): Promise<void> {
  return new Promise((resolve) => {
    if (stopRequested) return resolve();
    wake = resolve;
    if (ms !== undefined) setTimeout(resolve, ms);
  });
}

async function main(data: WorkerData): Promise<void> {
  const format = data.log.format === 'json' ? formatLogRecordJson : formatLogRecord;
  setLogSink((record) => process.stderr.write(format({ ...record, fields: { worker: data.index, ...record.fields } }) + '\n'), data.log.level, data.log.format);
  enableHeapPacing();
  // A process of its own: oxbow's Kafka decoding is installed here as `oxbow` installs it (bin/oxbow.js).
  installKafkaDecoding();
  const { flags } = data;
  const read = readSessionsFlags(flags);
  const ports = await openParallelPorts(flags, process.stdout, data.eventTimeGiven);
  const spec = sessionsSpec(flags, read, ports);
  // A partition whose newest checkpoint is final has nothing left to do when this run, too, ends at the end of its input.
  const endsAtEnd = flags.stopAtLive || !flags.brokers;
  const jobs = new PartitionJobs({ open: (partition, signal) => openPartitionJob(spec, ports, partition, signal, endsAtEnd), restartable: restartable(flags) });
  jobs.on('progress', ({ payload }) => tell({ type: 'progress', ...payload }));
  jobs.on('ended', ({ payload }) => tell({ type: 'ended', ...payload }));
  jobs.on('fenced', ({ payload }) => tell({ type: 'fenced', ...payload }));

  const failure = jobs.firstFailure();
  void failure.then(() => wake());

  let member: GroupMember | null = null;
  if (data.group !== null) {
    const kafka = await kafkaClient(flags, flags.brokers!, `oxbow-sessions-${data.group}`);
    member = new GroupMember({ kafka, brokers: flags.brokers!, groupId: data.group, topic: ports.topic, sessionTimeoutMs: data.sessionTimeoutMs });
    let fatal: Error | null = null;
    await member.start({
      onAssigned: (partitions) => {
        // Stopping: nothing new starts.
        if (stopRequested) return;
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
        await stopOrWake(FINISHED_POLL_MS);
      }
    } finally {
      await jobs.releaseAll();
      await member.stop();
    }
    if (fatal) throw fatal;
  } else {
    if (!stopRequested) {
      tell({ type: 'owned', partitions: data.partitions! });
      jobs.assign(data.partitions!);
      await Promise.race([jobs.idle(), failure, stopOrWake()]);
    }
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

// The parent's first message says what to run.
process.once('message', (start: { type: 'start'; data: WorkerData }) => {
  if (start.type !== 'start') return;
  // From now on listening for a stop must not keep the worker alive once its jobs are done.
  process.channel?.unref();
  main(start.data).then(
    () => tell({ type: 'done', peakRssMb: process.resourceUsage().maxRSS / 1024 }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      log.debug('worker failed', { error: e.stack ?? e.message });
      tell({ type: 'failed', name: e.name, message: e.message, exitCode: e instanceof OxbowError ? e.exitCode : 1 });
    },
  // Disconnecting a channel the parent already closed would throw (ERR_IPC_DISCONNECTED).
  ).finally(() => { if (process.connected) process.disconnect?.(); });
});
