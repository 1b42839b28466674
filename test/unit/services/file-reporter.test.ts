// The per-file lines of `npm test`, driven by the events node:test emits (shapes and order taken from Node 20's runner:
// a file's own dequeue and completion arrive in real time; its tests are reported later, in file order).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileProgress, type ReporterEvent } from '../../../tools/test/file-reporter.js';

const file = '/repo/dist/test/unit/a.test.js';
const other = '/repo/dist/test/integration/b.test.js';
const ev = (type: string, name: string, f: string, details?: NonNullable<ReporterEvent['data']>['details']): ReporterEvent =>
  ({ type, data: { name, file: f, nesting: 0, details } });

test('a file gives one line when its process ends, passed or failed with the first line of why', () => {
  const p = new FileProgress('/repo', 0);
  assert.equal(p.onEvent(ev('test:enqueue', file, file), 0), undefined);
  assert.equal(p.onEvent(ev('test:dequeue', file, file), 0), undefined);
  assert.equal(p.onEvent(ev('test:dequeue', other, other), 10), undefined);
  assert.equal(p.onEvent(ev('test:complete', 'a test', file, { duration_ms: 5, passed: true }), 20), undefined, 'a test of the file is not a file');
  assert.equal(p.onEvent(ev('test:complete', other, other, { duration_ms: 12_345, passed: false, error: new Error('1 subtest failed\nmore') }), 12_000),
    '✖ file dist/test/integration/b.test.js failed in 12 s: 1 subtest failed\n');
  assert.equal(p.onEvent(ev('test:complete', file, file, { duration_ms: 2_500, passed: true }), 13_000), '✔ file dist/test/unit/a.test.js passed in 2.5 s\n');
});

test('the heartbeat names the running files only after a quiet minute, then waits another', () => {
  const p = new FileProgress('/repo', 0);
  p.onEvent(ev('test:enqueue', file, file), 0);
  p.onEvent(ev('test:dequeue', other, other), 1_000);
  assert.equal(p.heartbeat(30_000, 60_000), undefined);
  assert.equal(p.heartbeat(61_000, 60_000), '… still running: dist/test/integration/b.test.js (60 s)\n', 'queued files are not running');
  assert.equal(p.heartbeat(90_000, 60_000), undefined);
  p.onEvent(ev('test:complete', other, other, { duration_ms: 94_000, passed: true }), 95_000);
  assert.equal(p.heartbeat(200_000, 60_000), undefined, 'nothing running, nothing to say');
});
