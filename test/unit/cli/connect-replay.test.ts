// `oxbow sessions --archive-layout connect` over a Kafka Connect HDFS archive on the local fs (Parquet in one
// partition, JSON lines in the other, files laid out by tools/connect-archive as the connector does): exactly the
// sessions of an offline pass over every event; what it cannot place exactly is refused by name.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runInProcess } from './run-in-process.js';
import { generateMusicEvents, type MusicEvent, partitionOf } from '../../../src/gen/music-events.js';
import { connectFileBytes, writeConnectFile, writeConnectWorkFolders, type ConnectValue } from '../../../tools/connect-archive/connect-archive.js';
import { offlineSessions, sessionKey } from '../../integration/sessions-support.js';

const scratch = await mkdtemp(join(tmpdir(), 'oxbow-connect-replay-'));
after(() => rm(scratch, { recursive: true, force: true }));

const run = runInProcess;

/** Events split by user over two partitions, in each partition's order, written as Connect would: files of `per` records. */
async function connectArchive(dir: string, events: MusicEvent[], per: number): Promise<void> {
  for (const partition of [0, 1]) {
    const mine = events.filter((e) => partitionOf(e.userId, 2) === partition);
    for (let i = 0; i < mine.length; i += per) {
      await writeConnectFile(dir, { topic: 'plays', partition, start: BigInt(i), values: mine.slice(i, i + per) as unknown as ConnectValue[], format: partition === 0 ? 'parquet' : 'json' });
    }
    await writeConnectWorkFolders(dir, 'plays', partition);
  }
}

test('a Connect archive (Parquet and JSON, +tmp and logs folders beside) replays to the offline sessions', async () => {
  const events = [...generateMusicEvents({ users: 60, limit: 4000, seed: 11 })];
  const dir = join(scratch, 'whole');
  await connectArchive(dir, events, 150);
  for (const aggregate of ['listening', 'playlist-runs']) {
    const r = await run(['sessions', '--archive', `file://${dir}`, '--archive-layout', 'connect', '--aggregate', aggregate]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).map(sessionKey).sort(), offlineSessions(events, 30 * 60_000, aggregate), aggregate);
  }
  // Without the option the same root is refused by name, never replayed in part or called corrupt.
  const plain = await run(['sessions', '--archive', `file://${dir}`, '--aggregate', 'listening']);
  assert.equal(plain.code, 2, plain.stderr);
  assert.match(plain.stderr, /Kafka Connect HDFS file/);
});

test('the Kafka timestamp as event time, --offset-field without the connect layout, and an unknown layout are usage errors', async () => {
  const dir = join(scratch, 'options');
  const events = [...generateMusicEvents({ users: 5, limit: 30, seed: 3 })] as unknown as ConnectValue[];
  await writeConnectFile(dir, { topic: 'plays', partition: 0, start: 0n, values: events, format: 'parquet' });
  const kafkaTime = await run(['sessions', '--archive', `file://${dir}`, '--archive-layout', 'connect', '--event-time', 'kafka-timestamp']);
  assert.equal(kafkaTime.code, 2);
  assert.match(kafkaTime.stderr, /Kafka Connect files keep no Kafka timestamps/);
  const offsetField = await run(['sessions', '--archive', 'file://' + dir, '--offset-field', 'o']);
  assert.equal(offsetField.code, 2);
  assert.match(offsetField.stderr, /--offset-field is for --archive-layout connect/);
  const unknown = await run(['sessions', '--archive', `file://${dir}`, '--archive-layout', 'camus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /'--archive-layout <layout>' argument 'camus' is invalid. Allowed choices are oxbow, connect/);
});

test('file facts are kept beside the archive (never in Connect\'s folders): a second listing reads no Connect file, and a changed file is read again', async () => {
  const { LocalFs } = await import('../../../connectors/local/local-fs.js');
  const { connectCatalog, connectFactsPath } = await import('../../../connectors/connect/connect-catalog.js');
  const { parseEventTimeDefinition } = await import('../../../src/event-time.js');
  const dir = join(scratch, 'facts');
  await connectArchive(dir, [...generateMusicEvents({ users: 20, limit: 900, seed: 13 })], 100);
  const reads: string[] = [];
  const fs = new LocalFs();
  const counting = Object.assign(Object.create(fs) as InstanceType<typeof LocalFs>, {
    readRange: (path: string, start: number, end: number) => {
      reads.push(path);
      return fs.readRange(path, start, end);
    },
  });
  const list = async () => {
    reads.length = 0;
    const catalog = connectCatalog(counting, dir, 'plays', { eventTime: parseEventTimeDefinition('ts') });
    return { files: await catalog.listFiles(0), connectReads: reads.filter((p) => p.includes('/topics/')).length };
  };
  const first = await list();
  assert.ok(first.files.length >= 4 && first.connectReads >= first.files.length, `first listing read ${first.connectReads} files`);
  const { readFile: read, writeFile: write } = await import('node:fs/promises');
  assert.ok((await read(connectFactsPath(dir, 'plays', 0), 'utf8')).includes('"eventTime":"ts"'));
  const second = await list();
  assert.equal(second.connectReads, 0, 'the second listing used the kept facts');
  assert.deepEqual(second.files, first.files);
  // A file that changed size is read again.
  const changed = first.files[0]!.path;
  await write(changed, connectFileBytes('parquet', [...generateMusicEvents({ users: 20, limit: 60, seed: 99 })] as unknown as ConnectValue[]));
  const third = await list();
  assert.equal(third.connectReads, 1);
});
