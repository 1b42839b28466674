// A root that also holds Kafka Connect HDFS's files (written as the connector lays them out, by tools/connect-archive):
// inspect and sessions say what they are and exit 2, instead of replaying only oxbow's files (exit 0), calling them
// corrupt (exit 1) or not seeing them at all.

import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { runInProcess } from './run-in-process.js';
import { connectFileKind, connectLayoutFolder } from '../../../src/archive/connect-files.js';
import { parseFileName } from '../../../src/archive/file-name.js';
import { ForeignFormatError } from '../../../src/errors.js';
import { writeConnectFile, writeConnectWorkFolders } from '../../../tools/connect-archive/connect-archive.js';

const scratch = await mkdtemp(join(tmpdir(), 'oxbow-connect-'));
after(() => rm(scratch, { recursive: true, force: true }));

const values = (n: number) => Array.from({ length: n }, (_, i) => ({ userId: `u${i % 5}`, ts: 1_730_419_200_000 + i * 60_000, type: 'song', songId: `s${i}` }));

/** The sample archive plus whatever `add` writes into the copy. */
async function root(name: string, add: (dir: string) => Promise<unknown>): Promise<string> {
  const dir = join(scratch, name);
  await cp(resolve('fixtures/sample-archive'), dir, { recursive: true });
  await add(dir);
  return dir;
}

const run = runInProcess;

test('recognising Connect files: by extension, by a Parquet footer without oxbow metadata; and Connect\'s other layouts', () => {
  const parsed = (name: string) => parseFileName(name)!;
  assert.match(connectFileKind(parsed('t+0+0000000000+0000000009.json'))!, /Kafka Connect JsonFormat/);
  assert.match(connectFileKind(parsed('t+0+0000000000+0000000009.avro'))!, /Kafka Connect AvroFormat/);
  assert.equal(connectFileKind(parsed('t+0+00000000000000000000+00000000000000000009.parquet')), null, 'oxbow\'s own name');
  assert.match(connectFileKind(parsed('t+0+0000000000+0000000009.parquet'), new ForeignFormatError('/p', 'no metadata'))!, /Parquet file oxbow did not write/);
  assert.match(connectLayoutFolder('year=2024')!, /time-based partitioner/);
  assert.match(connectLayoutFolder('country=PL')!, /field partitioner/);
  assert.equal(connectLayoutFolder('partition=3'), null);
  assert.match(connectLayoutFolder('2024')!, /time-based partitioner \(2024\)/);
  assert.match(connectLayoutFolder('notes')!, /a folder oxbow does not write \(notes\)/);
});

test('Connect Parquet files beside oxbow\'s: inspect names them (exit 2), sessions refuses naming one instead of replaying part of the root', async () => {
  const dir = await root('mixed-parquet', async (d) => {
    await writeConnectFile(d, { topic: 'listens', partition: 0, start: 3386n, values: values(40), format: 'parquet' });
    await writeConnectWorkFolders(d, 'listens', 0);
  });
  const inspect = await run(['inspect', '--archive', `file://${dir}`]);
  assert.equal(inspect.code, 2, inspect.stdout + inspect.stderr);
  assert.match(inspect.stdout, /CONNECT \S+listens\+0\+0000003386\+0000003425\.parquet: a Parquet file oxbow did not write .*parquet-avro|CONNECT \S+listens\+0\+0000003386\+0000003425\.parquet: a Parquet file oxbow did not write/);
  assert.match(inspect.stdout, /replay a Kafka Connect archive with --archive-layout connect, in a root of its own/);
  const json = await run(['inspect', '--archive', `file://${dir}`, '--json']);
  assert.equal(json.code, 2);
  const p0 = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; foreign: { connect?: string }[] }).find((o) => o.partition === 0)!;
  assert.equal(p0.foreign.filter((f) => f.connect !== undefined).length, 1);

  const sessions = await run(['sessions', '--archive', `file://${dir}`, '--topic', 'listens', '--aggregate', 'listening']);
  assert.equal(sessions.code, 2, sessions.stderr);
  assert.match(sessions.stderr, /topic listens partition 0 holds 1 Kafka Connect HDFS file\(s\), e\.g\. \S+listens\+0\+0000003386\+0000003425\.parquet/);
  assert.equal(sessions.stdout, '', 'no partial output');
});

test('a Connect JSON file, once skipped without a word, and a Connect-only root, once "corrupt", are refused the same way', async () => {
  const json = await root('mixed-json', (d) => writeConnectFile(d, { topic: 'listens', partition: 1, start: 3284n, values: values(10), format: 'json' }));
  const sessions = await run(['sessions', '--archive', `file://${json}`, '--topic', 'listens', '--aggregate', 'listening']);
  assert.equal(sessions.code, 2, sessions.stderr);
  assert.match(sessions.stderr, /partition 1 holds 1 Kafka Connect HDFS file\(s\).*a JSON file \(Kafka Connect JsonFormat\)/);

  const only = join(scratch, 'connect-only');
  await writeConnectFile(only, { topic: 'plays', partition: 0, start: 0n, values: values(20), format: 'parquet' });
  const onlyRun = await run(['sessions', '--archive', `file://${only}`, '--aggregate', 'listening']);
  assert.equal(onlyRun.code, 2, onlyRun.stderr);
  assert.doesNotMatch(onlyRun.stderr, /corrupt/i);
  assert.match(onlyRun.stderr, /Kafka Connect HDFS file/);
});

test('a time-based layout (year=/month=/day=/hour=), once invisible, is named by inspect and refused by sessions', async () => {
  const dir = await root('time-based', (d) => writeConnectFile(d, { topic: 'listens', partition: 0, start: 5000n, values: values(10), format: 'parquet', timeFolder: 'year=2024/month=11/day=24/hour=10' }));
  const inspect = await run(['inspect', '--archive', `file://${dir}`]);
  assert.equal(inspect.code, 2, inspect.stdout);
  assert.match(inspect.stdout, /listens: CONNECT \S+year=2024: a folder of Kafka Connect's time-based partitioner \(year=2024\)/);
  const sessions = await run(['sessions', '--archive', `file://${dir}`, '--topic', 'listens', '--aggregate', 'listening']);
  assert.equal(sessions.code, 2, sessions.stderr);
  assert.match(sessions.stderr, /topic listens holds a folder of Kafka Connect's time-based partitioner \(year=2024\).*default partitioner only/);
});
