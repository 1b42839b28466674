// The Kafka reader of a sessions job on a thread of its own: kafkajs's fetching and decoding run beside the job's
// decoding and engine instead of in turn with them. The thread runs a KafkaPartitionReader; batches cross packed in
// a few transferred arrays (docs/replay.md, "Reading Kafka").

import { Worker } from 'node:worker_threads';
import { EXIT_FAILED, OxbowError, WorkerFailure } from '../../src/errors.js';
import { getLogger, type LogFields, type Logger, type LogLevel, logSettings } from '../../src/logger.js';
import { PackedRecord } from '../../src/source/packed-record.js';
import type { LiveBatch, LiveReader, SourceRecord } from '../../src/source/types.js';
import type { KafkaClientOptions } from './client.js';
import type { BatchCollector } from './partition-reader.js';
import { decimal } from './record-bytes.js';

/** A batch as it crosses to the job's thread: per record its offset, timestamp, and key and value bytes in one array. */
export interface PackedBatch {
  partition: number;
  /** Where reading continues after this batch, past transaction markers too. */
  nextOffset: bigint;
  /** Exact doubles (offsets below 2^53, as Kafka's are in practice), else BigInts. */
  offsets: Float64Array | BigInt64Array;
  timestamps: Float64Array;
  /** Per record, the key's length then the value's; -1 for null. */
  lengths: Int32Array;
  /** Every record's key then value bytes, back to back. */
  bytes: Uint8Array;
}

/** Bytes of a key or value as kafkajs gives it (a Buffer, or a string when produced as one); -1 for none. */
function byteLength(b: Buffer | string | null | undefined): number {
  return b === null || b === undefined ? -1 : typeof b === 'string' ? Buffer.byteLength(b) : b.length;
}

/**
 * The reader thread's BatchCollector: kafkajs's messages at or past `from`, packed straight from its Buffers (one copy of
 * the bytes, no object per record) into arrays that can be transferred, not cloned, to the job's thread.
 */
export const packMessages: BatchCollector<PackedBatch> = (partition, messages, from, nextOffset) => {
  let first = 0;
  while (first < messages.length && BigInt(messages[first]!.offset) < from) first++;
  const n = messages.length - first;
  if (n === 0) {
    if (nextOffset <= from) return null;
    const none: PackedBatch = { partition, nextOffset, offsets: new Float64Array(0), timestamps: new Float64Array(0), lengths: new Int32Array(0), bytes: new Uint8Array(0) };
    return { batch: none, last: null };
  }
  const lengths = new Int32Array(2 * n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[first + i]!;
    const k = byteLength(m.key);
    const v = byteLength(m.value);
    lengths[2 * i] = k;
    lengths[2 * i + 1] = v;
    if (k > 0) total += k;
    if (v > 0) total += v;
  }
  // Offsets as doubles, without a BigInt each; exact below 2^53, else the batch keeps BigInts.
  let offsets: Float64Array | BigInt64Array = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[first + i]!;
    offsets[i] = decimal(m.offset);
    timestamps[i] = decimal(m.timestamp);
    if (m.key !== null && m.key !== undefined) at = copyInto(bytes, at, m.key);
    if (m.value !== null && m.value !== undefined) at = copyInto(bytes, at, m.value);
  }
  if (!(offsets[n - 1]! <= Number.MAX_SAFE_INTEGER)) offsets = BigInt64Array.from(messages.slice(first), (m) => BigInt(m.offset));
  const batch: PackedBatch = { partition, nextOffset, offsets, timestamps, lengths, bytes };
  return { batch, last: BigInt(messages[messages.length - 1]!.offset) };
};

function copyInto(bytes: Uint8Array, at: number, b: Buffer | string): number {
  if (typeof b === 'string') return at + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).write(b, at);
  bytes.set(b, at);
  return at + b.length;
}

/** The arrays of a packed batch, for the transfer list. */
export function packedBuffers(b: PackedBatch): ArrayBuffer[] {
  return [b.offsets.buffer as ArrayBuffer, b.timestamps.buffer as ArrayBuffer, b.lengths.buffer as ArrayBuffer, b.bytes.buffer as ArrayBuffer];
}

/** The batch again: each record a PackedRecord over the batch's arrays. */
export function unpackBatch(b: PackedBatch): LiveBatch {
  const { offsets, timestamps, lengths, bytes } = b;
  const n = offsets.length;
  const records: SourceRecord[] = new Array<SourceRecord>(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const k = lengths[2 * i]!;
    const v = lengths[2 * i + 1]!;
    const keyStart = at;
    if (k > 0) at += k;
    const valueStart = at;
    if (v > 0) at += v;
    records[i] = new PackedRecord(offsets, i, timestamps[i]!, bytes, keyStart, k < 0 ? -1 : keyStart + k, valueStart, v < 0 ? -1 : valueStart + v);
  }
  return { partition: b.partition, records, nextOffset: b.nextOffset };
}

/** What the thread is started with. */
export interface ReaderThreadInit {
  client: KafkaClientOptions;
  topic: string;
  /** The reader's `failOnNewPartitions` (partition-reader.ts). */
  failOnNewPartitions?: boolean;
  log: ReturnType<typeof logSettings>;
  /** Batches sent ahead of the job; the thread's reader buffers its own batches behind them. */
  inFlight: number;
}

/** An error as it crosses threads: enough to fail the job with the same message and exit code. */
export interface WireError {
  message: string;
  exitCode: number;
  retriable: boolean;
}

export type ToReaderThread =
  /** The first message: what the thread reads and how. */
  | { t: 'init'; init: ReaderThreadInit }
  | { t: 'call'; id: number; op: 'earliestOffsets' | 'latestOffsets'; partitions: number[] }
  | { t: 'call'; id: number; op: 'start'; positions: Map<number, bigint> }
  | { t: 'call'; id: number; op: 'close' }
  | { t: 'pause'; partition: number }
  /** The job took a batch: one more may be sent. */
  | { t: 'credit' };

export type FromReaderThread =
  | { t: 'reply'; id: number; value?: Map<number, bigint> }
  | { t: 'reply'; id: number; error: WireError }
  | { t: 'batch'; batch: PackedBatch }
  | { t: 'failure'; error: WireError }
  | { t: 'log'; level: LogLevel; component: string; message: string; fields: LogFields };

export function toWireError(err: unknown): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, exitCode: e instanceof OxbowError ? e.exitCode : EXIT_FAILED, retriable: e instanceof OxbowError && e.retriable };
}

function fromWireError(e: WireError): Error {
  return new WorkerFailure(e.message, e.exitCode, { retriable: e.retriable });
}

const THREAD_SCRIPT = new URL('./threaded-reader-worker.js', import.meta.url);

/** A reader thread started before its job knew what it reads, and whether it failed or ended while nobody held it. */
let early: { worker: Worker; gone: boolean; onGone: () => void } | null = null;

/**
 * Starts a reader thread now, for the next ThreadedPartitionReader to take: the thread's start (about 0.1 s of loading
 * kafkajs and its modules) then overlaps the command's own loading instead of following it. `bin/oxbow.js` calls it
 * for `oxbow sessions`; a thread nobody takes does not keep the process alive and ends with it. Returns the thread
 * waiting to be taken (the one already started, if any).
 */
export function startReaderThreadEarly(): Worker {
  if (early !== null) return early.worker;
  const worker = new Worker(THREAD_SCRIPT);
  worker.unref();
  const started = { worker, gone: false, onGone: () => { started.gone = true; } };
  // Until a reader takes it: a failed start is noted (the reader then starts a thread of its own), never thrown.
  worker.on('error', started.onGone);
  worker.on('exit', started.onGone);
  early = started;
  return worker;
}

/** The thread started early when it is still there, else a new one. */
function readerThread(): Worker {
  const taken = early;
  early = null;
  if (taken !== null && !taken.gone) {
    taken.worker.off('error', taken.onGone);
    taken.worker.off('exit', taken.onGone);
    return taken.worker;
  }
  if (taken !== null) void taken.worker.terminate();
  return new Worker(THREAD_SCRIPT);
}

/** The job thread's loggers of the components that log in the reader thread (its reader, kafkajs). */
const loggers = new Map<string, Logger>();

/**
 * A LiveReader whose KafkaPartitionReader runs on a thread of its own (one per reader). The job's thread gets each
 * batch as it would from the reader itself, but without kafkajs's work in its time: on a Kafka-only catch-up that work
 * is about half of a run. Failures of the thread's reader (a Kafka outage past its restarts) come back as the job's
 * failure with the reader's message and exit code; a thread that dies fails the job naming it.
 */
export class ThreadedPartitionReader implements LiveReader {
  private readonly worker: Worker;
  private readonly calls = new Map<number, { resolve: (v: Map<number, bigint> | undefined) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly queue: PackedBatch[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  /** close() was called: the thread is being ended, and its exit is expected. */
  private closed: Promise<void> | null = null;
  /** start() was called: the thread reads until close(). */
  private reading = false;

  /** The thread starts at once (or was started early): loading its modules (about 0.1 s) overlaps the job's own start. */
  constructor(init: Omit<ReaderThreadInit, 'log' | 'inFlight'> & { inFlight?: number }) {
    const data: ReaderThreadInit = { ...init, log: logSettings(), inFlight: init.inFlight ?? 16 };
    const worker = readerThread();
    worker.postMessage({ t: 'init', init: data } as ToReaderThread);
    // Held (keeping the process alive) only while a call waits for its answer or the reader reads: a job that fails
    // before close() must not wait for the thread.
    worker.unref();
    worker.on('message', (m: FromReaderThread) => this.onMessage(m));
    worker.on('error', (err) => this.fail(new WorkerFailure(`the Kafka reader thread of ${init.topic} failed: ${err.message}`, EXIT_FAILED, { cause: err })));
    worker.on('exit', (code) => {
      if (this.closed === null) this.fail(new WorkerFailure(`the Kafka reader thread of ${init.topic} exited (code ${code}) while the job ran`, EXIT_FAILED));
    });
    this.worker = worker;
  }

  private onMessage(m: FromReaderThread): void {
    switch (m.t) {
      case 'batch':
        this.queue.push(m.batch);
        this.wake?.();
        return;
      case 'reply': {
        const call = this.calls.get(m.id);
        this.calls.delete(m.id);
        if (this.calls.size === 0 && !this.reading) this.worker.unref();
        if ('error' in m) call?.reject(fromWireError(m.error));
        else call?.resolve(m.value);
        return;
      }
      case 'failure':
        this.fail(fromWireError(m.error));
        return;
      case 'log': {
        let log = loggers.get(m.component);
        if (log === undefined) loggers.set(m.component, log = getLogger(m.component));
        log[m.level](m.message, m.fields);
        return;
      }
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const call of this.calls.values()) call.reject(this.failure);
    this.calls.clear();
    this.wake?.();
  }

  private call(m: { op: 'earliestOffsets' | 'latestOffsets'; partitions: number[] } | { op: 'start'; positions: Map<number, bigint> } | { op: 'close' }): Promise<Map<number, bigint> | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ t: 'call', id, ...m } as ToReaderThread);
    });
  }

  async earliestOffsets(partitions: number[]): Promise<Map<number, bigint>> {
    return (await this.call({ op: 'earliestOffsets', partitions }))!;
  }

  async latestOffsets(partitions: number[]): Promise<Map<number, bigint>> {
    return (await this.call({ op: 'latestOffsets', partitions }))!;
  }

  async start(positions: Map<number, bigint>): Promise<void> {
    this.reading = true;
    await this.call({ op: 'start', positions });
  }

  async next(timeoutMs: number): Promise<LiveBatch | null> {
    if (this.failure) throw this.failure;
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = null;
      if (this.failure) throw this.failure;
    }
    const packed = this.queue.shift();
    if (packed === undefined) return null;
    this.worker.postMessage({ t: 'credit' } as ToReaderThread);
    return unpackBatch(packed);
  }

  pause(partition: number): void {
    this.worker.postMessage({ t: 'pause', partition } as ToReaderThread);
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    try {
      if (!this.failure) await this.call({ op: 'close' });
    } catch {
      // The reader's own close never fails; a thread that is gone has nothing to close.
    } finally {
      await this.worker.terminate();
    }
  }
}
