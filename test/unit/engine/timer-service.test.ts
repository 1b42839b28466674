// The timer heap pops in (time, session id) order whatever the push order, and compaction keeps only live entries.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Session, SessionTable } from '../../../src/engine/session.js';
import { TimerHeap } from '../../../src/engine/timer-service.js';
import { prng } from './harness.js';

test('pops in (time, id) order for random pushes, ties included', () => {
  const rnd = prng(3);
  const table = new SessionTable(0);
  const heap = new TimerHeap();
  const pushed: [number, number][] = [];
  for (let id = 1; id <= 2000; id++) {
    const s = new Session(table, id, 0, `k${id}`, 0, 1, Number.NaN);
    const t = Math.floor(rnd() * 300);
    heap.push(t, s);
    pushed.push([t, id]);
  }
  const popped: [number, number][] = [];
  while (heap.size > 0) {
    const t = heap.peekTime();
    popped.push([t, heap.pop().id]);
  }
  assert.deepEqual(popped, pushed.sort((a, b) => a[0] - b[0] || a[1] - b[1]));
});

test('schedule keeps one live entry per session; compaction drops the stale ones', () => {
  const table = new SessionTable(0);
  const heap = new TimerHeap();
  const sessions = Array.from({ length: 3000 }, (_, i) => new Session(table, i + 1, 0, `k${i}`, 0, 1000 + i, Number.NaN));
  for (const s of sessions) heap.schedule(table, s.at);
  for (const s of sessions) {
    s.addTimer(10 + (s.id % 7));
    heap.schedule(table, s.at);
  }
  assert.equal(heap.size, 6000);
  heap.compactIfNeeded(sessions.length);
  assert.equal(heap.size, 6000, 'not yet worth compacting');
  for (const s of sessions.slice(0, 2000)) s.kill();
  heap.compactIfNeeded(1000);
  assert.equal(heap.size, 1000);
  assert.equal(heap.peekTime(), 10);
});
