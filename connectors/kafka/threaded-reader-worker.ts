// The thread of a ThreadedPartitionReader (threaded-reader.ts): a KafkaPartitionReader whose batches are packed and
// sent to the job's thread as it takes them, at most `inFlight` ahead; its calls answered, its log lines sent back.

import { parentPort } from 'node:worker_threads';
import { setLogSink } from '../../src/logger.js';
import { createKafka } from './client.js';
import { KafkaPartitionReader } from './partition-reader.js';
import { installKafkaDecoding } from './record-decoder.js';
import { type FromReaderThread, packMessages, packedBuffers, type PackedBatch, type ReaderThreadInit, type ToReaderThread, toWireError } from './threaded-reader.js';

// Each thread has its own modules: oxbow's decoding is installed here too, before the reader's first fetch.
installKafkaDecoding();
const port = parentPort!;
const send = (m: FromReaderThread, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** Made by the first message ('init'): the thread may start before the job knows its topic (startReaderThreadEarly). */
let reader!: KafkaPartitionReader<PackedBatch>;
let credits = 0;

function init(data: ReaderThreadInit): void {
  setLogSink((r) => {
    const line = { t: 'log', level: r.level, component: r.component, message: r.message, fields: r.fields } as const;
    try {
      send(line);
    } catch {
      // A field that cannot cross (a function in a client's log entry) crosses as text.
      send({ ...line, fields: { fields: JSON.stringify(r.fields, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) } });
    }
  }, data.log.level, data.log.format);
  reader = new KafkaPartitionReader({
    kafka: createKafka(data.client), brokers: data.client.brokers, topic: data.topic, collect: packMessages, failOnNewPartitions: data.failOnNewPartitions ?? false,
  });
  credits = data.inFlight;
}

let creditArrived: (() => void) | null = null;
let pumping = false;
let closed = false;

/** Sends batches while the job has room for them, until close() or a failure the reader cannot mend. */
async function pump(): Promise<void> {
  try {
    while (!closed) {
      if (credits === 0) {
        await new Promise<void>((resolve) => { creditArrived = resolve; });
        creditArrived = null;
        continue;
      }
      const batch = await reader.next(250);
      if (batch === null || closed) continue;
      credits--;
      send({ t: 'batch', batch }, packedBuffers(batch));
    }
  } catch (err) {
    if (!closed) send({ t: 'failure', error: toWireError(err) });
  }
}

port.on('message', (m: ToReaderThread) => {
  // The first message, always: handled at once, so every later one finds the reader made.
  if (m.t === 'init') {
    init(m.init);
    return;
  }
  if (m.t === 'credit') {
    credits++;
    creditArrived?.();
    return;
  }
  if (m.t === 'pause') {
    reader.pause(m.partition);
    return;
  }
  const answer = (work: Promise<Map<number, bigint> | undefined>): void => {
    work.then(
      (value) => send(value === undefined ? { t: 'reply', id: m.id } : { t: 'reply', id: m.id, value }),
      (err: unknown) => send({ t: 'reply', id: m.id, error: toWireError(err) }),
    );
  };
  switch (m.op) {
    case 'earliestOffsets':
      return answer(reader.earliestOffsets(m.partitions));
    case 'latestOffsets':
      return answer(reader.latestOffsets(m.partitions));
    case 'start':
      return answer(reader.start(m.positions).then(() => {
        if (!pumping) {
          pumping = true;
          void pump();
        }
        return undefined;
      }));
    case 'close':
      closed = true;
      creditArrived?.();
      return answer(reader.close().then(() => undefined));
  }
});
