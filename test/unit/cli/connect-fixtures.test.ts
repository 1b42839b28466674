// The Kafka Connect archives in fixtures/connect-archive/ (made by tools/connect-archive/make-fixtures.ts, which is
// checked to make them byte for byte): the default and the time-based layouts replay to the offline sessions of the
// events they were made from; the transactional one is refused naming a file.

import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, test } from 'node:test';
import { runInProcess } from './run-in-process.js';
import type { MusicEvent } from '../../../src/gen/music-events.js';
import { makeConnectFixtures } from '../../../tools/connect-archive/make-fixtures.js';
import { offlineSessions, sessionKey } from '../../integration/sessions-support.js';

const committed = resolve('fixtures/connect-archive');
const scratch = await mkdtemp(join(tmpdir(), 'oxbow-connect-fixtures-'));
after(() => rm(scratch, { recursive: true, force: true }));
// Replays keep file facts beside the archive (+oxbow/connect-facts): they run on a copy, never in the checkout.
const fixtures = join(scratch, 'fixtures');
await cp(committed, fixtures, { recursive: true });

const run = runInProcess;

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

const eventsOf = async (name: string) => (await readFile(join(fixtures, name, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as MusicEvent);

test('the generator makes the committed fixtures byte for byte', async () => {
  await makeConnectFixtures(join(scratch, 'again'));
  const made = await files(join(scratch, 'again'));
  assert.deepEqual(made, (await files(committed)).filter((f) => f !== 'README.md'));
  for (const f of made) assert.ok((await readFile(join(scratch, 'again', f))).equals(await readFile(join(committed, f))), f);
});

test('the default layout (Parquet and JSON) and the time-based layout replay to the offline sessions of their events', async () => {
  for (const [name, topic] of [['default', 'plays'], ['time-based', 'hourly']] as const) {
    const r = await run(['sessions', '--archive', `file://${join(fixtures, name, 'archive')}`, '--archive-layout', 'connect', '--topic', topic, '--aggregate', 'listening']);
    assert.equal(r.code, 0, r.stderr);
    const expected = offlineSessions(await eventsOf(name), 30 * 60_000, 'listening');
    assert.ok(expected.length > 0);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).map(sessionKey).sort(), expected, name);
  }
});

test('the transactional archive: markers inside files are placed by position (or by --offset-field); a marker between files is a named gap', async () => {
  const archive = `file://${join(fixtures, 'transactional', 'archive')}`;
  const expected = offlineSessions(await eventsOf('transactional'), 30 * 60_000, 'listening');
  // Between two files, names alone cannot tell a commit marker from a lost file: stop naming the offsets.
  const strict = await run(['sessions', '--archive', archive, '--archive-layout', 'connect', '--aggregate', 'listening']);
  assert.equal(strict.code, 1, strict.stderr);
  assert.match(strict.stderr, /offsets 21\.\.21 are missing.*--on-gap warn/);
  for (const extra of [[], ['--offset-field', 'kafkaOffset']]) {
    const r = await run(['sessions', '--archive', archive, '--archive-layout', 'connect', '--aggregate', 'listening', '--on-gap', 'warn', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).map(sessionKey).sort(), expected, extra.join(' '));
    assert.match(r.stderr, /offsets skipped in gaps\s+2/);
    if (extra.length === 0) assert.match(r.stderr, /placed by their position in the file/);
    else assert.doesNotMatch(r.stderr, /placed by their position in the file/);
  }
  const wrong = await run(['sessions', '--archive', archive, '--archive-layout', 'connect', '--aggregate', 'listening', '--offset-field', 'songId']);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /record 1 has no whole-number field 'songId' \(--offset-field\)/);
});

test('inspect --archive-layout connect describes the fixtures by reading their files: counts, event times, and the markers as gaps', async () => {
  const plain = await run(['inspect', '--archive', `file://${join(fixtures, 'default', 'archive')}`, '--archive-layout', 'connect', '--json', '--files']);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  const parts = plain.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; records: number; gaps: unknown[]; start: string; end: string; fileList: { format: string }[] });
  const events = await eventsOf('default');
  assert.deepEqual(parts.map((p) => p.partition), [0, 1]);
  assert.equal(parts.reduce((n, p) => n + p.records, 0), events.length, 'every event is counted once');
  for (const p of parts) assert.deepEqual([p.gaps, p.start, p.end], [[], '0', String(p.records)]);
  assert.deepEqual([...new Set(parts.flatMap((p) => p.fileList.map((f) => f.format)))].sort(), ['connect json', 'connect parquet']);

  const txn = await run(['inspect', '--archive', `file://${join(fixtures, 'transactional', 'archive')}`, '--archive-layout', 'connect', '--files']);
  assert.equal(txn.code, 1, 'holes between files are findings');
  assert.match(txn.stdout, /GAP 21 \(1 offsets in no file\)/);
  assert.match(txn.stdout, /GAP 43 \(1 offsets in no file\)/);
  assert.match(txn.stdout, /FILE txn\+0\+0000000000\+0000000020\.parquet: offsets 0\.\.20, 20 records, .* connect parquet \(offsets by position\)/);
});
