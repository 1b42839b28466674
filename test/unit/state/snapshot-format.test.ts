// Savepoint files: atomic writes, and clear errors for corrupt, foreign, newer-format and missing files (left untouched).

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SavepointError } from '../../../src/errors.js';
import { SessionEngine, parseSnapshot, readSavepoint, writeSavepoint, type SessionSink } from '../../../src/engine/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'oxbow-savepoint-'));
const sink: SessionSink = { result() {}, retraction() {}, late() {} };

function sample() {
  const e = new SessionEngine({ gapMs: 1000, aggregate: 'listening' }, sink);
  e.processEvent(0, 'u1', 100, { type: 'song' });
  return e.snapshot();
}

async function rejects(file: string, pattern: RegExp): Promise<void> {
  const before = readFileSync(file);
  const mtime = statSync(file).mtimeMs;
  await assert.rejects(readSavepoint(file), (err: unknown) => {
    assert.ok(err instanceof SavepointError, String(err));
    assert.match(err.message, pattern);
    assert.equal(err.path, file);
    return true;
  });
  assert.deepEqual(readFileSync(file), before);
  assert.equal(statSync(file).mtimeMs, mtime);
}

test('write then read round-trips and leaves no temp file; a second write replaces the first', async () => {
  const file = path.join(dir, 'sub', 'a.json');
  await writeSavepoint(file, sample());
  const snap = sample();
  snap.watermark = 42;
  await writeSavepoint(file, snap);
  assert.deepEqual(await readSavepoint(file), snap);
  assert.deepEqual(readdirSync(path.dirname(file)), ['a.json']);
});

test('write through an ArchiveFs-like store: temp file then rename', async () => {
  const files = new Map<string, Uint8Array>();
  const calls: string[] = [];
  const fs = {
    async writeFile(p: string, data: Uint8Array | AsyncIterable<Uint8Array>) {
      calls.push(`write ${path.basename(p).replace(/\.[0-9a-f-]+\.tmp$/, '.*.tmp')}`);
      files.set(p, data as Uint8Array);
    },
    async rename(from: string, to: string) {
      calls.push('rename');
      files.set(to, files.get(from)!);
      files.delete(from);
    },
    async delete(p: string) {
      calls.push('delete');
      return files.delete(p);
    },
    async readFile(p: string) {
      return files.get(p)!;
    },
    async stat(p: string) {
      return files.has(p) ? { path: p, name: path.basename(p), type: 'file' as const, length: 0, modificationTime: 0 } : null;
    },
  };
  await writeSavepoint('/sp/x.json', sample(), fs);
  await writeSavepoint('/sp/x.json', sample(), fs);
  // The delete of a missing target is a no-op (false); the old file is replaced only once the new one is whole.
  assert.deepEqual(calls, ['write .x.json.*.tmp', 'delete', 'rename', 'write .x.json.*.tmp', 'delete', 'rename']);
  assert.deepEqual(await readSavepoint('/sp/x.json', fs), sample());
  assert.deepEqual([...files.keys()], ['/sp/x.json']);
});

test('not JSON, truncated, foreign, newer and malformed savepoints are refused and left untouched', async () => {
  const good = JSON.stringify(sample());
  const cases: [string, string, RegExp][] = [
    ['garbage.json', 'hello', /corrupt: not valid JSON/],
    ['truncated.json', good.slice(0, good.length / 2), /corrupt/],
    ['foreign.json', JSON.stringify({ type: 'something-else' }), /not an oxbow savepoint/],
    ['newer.json', JSON.stringify({ ...sample(), formatVersion: 99 }), /format version 99.*newer oxbow/],
    ['nosessions.json', JSON.stringify({ ...sample(), shards: [{ partition: 0 }] }), /corrupt: a shard lacks/],
    ['badsession.json', JSON.stringify({ ...sample(), shards: [{ partition: 0, sessions: [{ id: 1, key: 'k', start: 5, end: 1 }] }] }), /malformed/],
  ];
  for (const [name, text, pattern] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    await rejects(file, pattern);
  }
  await assert.rejects(readSavepoint(path.join(dir, 'missing.json')), /does not exist/);
});

test('a bad accumulator is a SavepointError at restore', () => {
  const snap = sample();
  snap.shards[0]!.sessions[0]!.acc = 'nope';
  assert.throws(() => SessionEngine.restore(parseSnapshot(snap, 'x'), { gapMs: 1000, aggregate: 'listening' }, sink, 'x'), (err: unknown) => err instanceof SavepointError && /corrupt.*listening/.test(err.message));
});
