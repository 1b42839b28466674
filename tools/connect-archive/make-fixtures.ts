// `node dist/tools/connect-archive/make-fixtures.js`: writes fixtures/connect-archive/, small Kafka Connect HDFS archives
// as the connector lays them out (connect-archive.ts), each beside the events it was made from:
//   default/      topic `plays`: partition 0 in Parquet, partition 1 in JSON lines, 100 records a file, with the
//                 `+tmp/` file and `logs/` write-ahead log a running connector keeps
//   time-based/   topic `hourly`: one partition, `year=/month=/day=/hour=` folders by event hour, events in order, a
//                 named value schema (Avro record `com.example.music.Listen` with `connect.name` and `connect.version`)
//   transactional/ topic `txn`: as a transactional producer leaves it, commit markers are offsets no file holds:
//                 inside files (each holds fewer records than its name spans) and between them
// Deterministic: the same code writes the same files.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMusicEvents, type MusicEvent, partitionOf } from '../../src/gen/music-events.js';
import { connectFileBytes, connectFilePath, type ConnectValue, writeConnectWorkFolders } from './connect-archive.js';

const here = dirname(fileURLToPath(import.meta.url));
export const CONNECT_FIXTURES = join(here, '..', '..', '..', 'fixtures', 'connect-archive');

async function put(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

const values = (events: MusicEvent[]) => events as unknown as ConnectValue[];
const pad2 = (n: number) => String(n).padStart(2, '0');

async function events(dir: string, name: string, list: MusicEvent[]): Promise<void> {
  await put(join(dir, name, 'events.jsonl'), new TextEncoder().encode(list.map((e) => JSON.stringify(e)).join('\n') + '\n'));
}

export async function makeConnectFixtures(dir = CONNECT_FIXTURES): Promise<void> {
  // Only what this writes is replaced (README.md beside it is written by hand).
  for (const name of ['default', 'time-based', 'transactional']) await rm(join(dir, name), { recursive: true, force: true });

  const plays = [...generateMusicEvents({ seed: 5, users: 30, limit: 600 })];
  const root = join(dir, 'default', 'archive');
  for (const partition of [0, 1]) {
    const mine = plays.filter((e) => partitionOf(e.userId, 2) === partition);
    const format = partition === 0 ? 'parquet' : 'json';
    for (let i = 0; i < mine.length; i += 100) {
      const chunk = mine.slice(i, i + 100);
      await put(connectFilePath(root, { topic: 'plays', partition, start: BigInt(i), count: chunk.length, format }), connectFileBytes(format, values(chunk)));
    }
    await writeConnectWorkFolders(root, 'plays', partition);
  }
  await events(dir, 'default', plays);

  const hourly = [...generateMusicEvents({ seed: 6, users: 10, limit: 200, maxDisorderMs: 0 })];
  const timeRoot = join(dir, 'time-based', 'archive');
  for (let i = 0; i < hourly.length;) {
    const hour = Math.floor(hourly[i]!.ts / 3_600_000);
    let j = i;
    while (j < hourly.length && Math.floor(hourly[j]!.ts / 3_600_000) === hour) j++;
    const d = new Date(hour * 3_600_000);
    const timeFolder = `year=${d.getUTCFullYear()}/month=${pad2(d.getUTCMonth() + 1)}/day=${pad2(d.getUTCDate())}/hour=${pad2(d.getUTCHours())}`;
    await put(connectFilePath(timeRoot, { topic: 'hourly', partition: 0, start: BigInt(i), count: j - i, format: 'parquet', timeFolder }), connectFileBytes('parquet', values(hourly.slice(i, j)), 'com.example.music.Listen'));
    i = j;
  }
  await events(dir, 'time-based', hourly);

  // Ten records a transaction, then its commit marker; the connector flushes every 20 records: a file holds two
  // transactions (21 offsets named, 20 records), and the marker of every second transaction lies between two files.
  // Each value carries its offset as the InsertField transform (offset.field=kafkaOffset) would add it.
  const txn = [...generateMusicEvents({ seed: 7, users: 5, limit: 60 })];
  const txnRoot = join(dir, 'transactional', 'archive');
  const offsetOf = (i: number) => Math.floor(i / 10) * 11 + (i % 10);
  for (let f = 0; f < txn.length / 20; f++) {
    const chunk = txn.slice(f * 20, f * 20 + 20).map((e, k) => ({ ...e, kafkaOffset: offsetOf(f * 20 + k) }));
    const first = chunk[0]!.kafkaOffset;
    const path = connectFilePath(txnRoot, { topic: 'txn', partition: 0, start: BigInt(first), count: chunk.at(-1)!.kafkaOffset - first + 1, format: 'parquet' });
    await put(path, connectFileBytes('parquet', values(chunk as unknown as MusicEvent[])));
  }
  await events(dir, 'transactional', txn);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  makeConnectFixtures().then(() => process.stdout.write(`wrote ${CONNECT_FIXTURES}\n`), (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
