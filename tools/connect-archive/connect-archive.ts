// Writes archives the way Kafka Connect HDFS (io.confluent.connect.hdfs) lays them out, for tests and fixtures:
// committed files `topics/<topic>/partition=<p>/<topic>+<p>+<start>+<end>.<ext>` with offsets padded to 10 digits
// (`filename.offset.zero.pad.width`) and start/end the first and LAST offset of the file; Parquet through parquet-avro
// (an Avro schema named `io.confluent.connect.avro.ConnectDefault` in the footer's `parquet.avro.schema`, and
// `writer.model.name=avro`), JSON lines for JsonFormat; the time-based partitioner's `year=/month=/day=/hour=` folders;
// and the `+tmp/` and `logs/` folders a running connector keeps. Values only: no offset, key, timestamp or headers.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** One record's value as Connect's converter hands it to the format: flat fields of strings and numbers. */
export type ConnectValue = Record<string, string | number | null | undefined>;

export interface ConnectFile {
  topic: string;
  partition: number;
  /** The Kafka offset of the first value; the file's name covers `start .. start + values.length - 1`. */
  start: bigint;
  values: ConnectValue[];
  format: 'parquet' | 'json';
  /** Time-based partitioner: the folder path under the topic (e.g. `year=2024/month=11/day=24/hour=10`); default partitioner when absent. */
  timeFolder?: string;
}

const pad = (offset: bigint) => offset.toString().padStart(10, '0');

/** Every field of the values with its type (a field some values lack is optional, null in those rows). */
function columnsOf(values: ConnectValue[]): { name: string; numeric: boolean }[] {
  const seen = new Map<string, boolean>();
  for (const v of values) for (const [name, x] of Object.entries(v)) if (x !== null && x !== undefined && !seen.has(name)) seen.set(name, typeof x === 'number');
  return [...seen].map(([name, numeric]) => ({ name, numeric }));
}

/**
 * The Avro schema Connect's AvroData makes of a struct schema, optional fields as unions with null: a struct without a
 * name becomes `io.confluent.connect.avro.ConnectDefault`; a named one keeps its name, which AvroData also records in
 * the `connect.name` property (and the schema version in `connect.version`).
 */
function avroSchema(columns: { name: string; numeric: boolean }[], schemaName?: string): string {
  const fields = columns.map(({ name, numeric }) => ({ name, type: ['null', numeric ? 'long' : 'string'], default: null }));
  if (schemaName === undefined) return JSON.stringify({ type: 'record', name: 'ConnectDefault', namespace: 'io.confluent.connect.avro', fields });
  const dot = schemaName.lastIndexOf('.');
  return JSON.stringify({ type: 'record', name: schemaName.slice(dot + 1), namespace: schemaName.slice(0, Math.max(dot, 0)), fields, 'connect.version': 1, 'connect.name': schemaName });
}

export function connectParquetBytes(values: ConnectValue[], schemaName?: string): Uint8Array {
  const columns = columnsOf(values);
  const buffer = parquetWriteBuffer({
    columnData: columns.map(({ name, numeric }) => numeric
      ? { name, data: values.map((v) => (v[name] === null || v[name] === undefined ? null : BigInt(v[name] as number))), type: 'INT64' as const }
      : { name, data: values.map((v) => (v[name] === null || v[name] === undefined ? null : String(v[name]))), type: 'STRING' as const }),
    kvMetadata: [{ key: 'parquet.avro.schema', value: avroSchema(columns, schemaName) }, { key: 'writer.model.name', value: 'avro' }],
  });
  return new Uint8Array(buffer);
}

/** The bytes of a committed file of `format` (`schemaName`: the Connect value schema's name, if it has one). */
export function connectFileBytes(format: 'parquet' | 'json', values: ConnectValue[], schemaName?: string): Uint8Array {
  return format === 'parquet' ? connectParquetBytes(values, schemaName) : new TextEncoder().encode(values.map((v) => JSON.stringify(v)).join('\n') + '\n');
}

/** The path of a committed file under `root`, as the connector names it. */
export function connectFilePath(root: string, file: Omit<ConnectFile, 'values'> & { count: number }): string {
  const end = file.start + BigInt(file.count) - 1n;
  return join(root, 'topics', file.topic, file.timeFolder ?? `partition=${file.partition}`, `${file.topic}+${file.partition}+${pad(file.start)}+${pad(end)}.${file.format}`);
}

/** Writes one committed file under `root` and returns its path. */
export async function writeConnectFile(root: string, file: ConnectFile): Promise<string> {
  const path = connectFilePath(root, { ...file, count: file.values.length });
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, connectFileBytes(file.format, file.values));
  return path;
}

/** The folders a running connector keeps beside its committed files: a temp file in flight and its write-ahead log. */
export async function writeConnectWorkFolders(root: string, topic: string, partition: number): Promise<void> {
  const tmp = join(root, 'topics', '+tmp', topic, `partition=${partition}`, '8c7e2a52-4a8e-4a4b-9a55-0d3e6a3f0c11_tmp.parquet');
  const wal = join(root, 'logs', topic, String(partition), 'log');
  for (const path of [tmp, wal]) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '');
  }
}
