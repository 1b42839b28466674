// Heap pacing takes at most its share of the time: after a collection, periodic checks wait in proportion to what the
// collection took; a check asked for at once is not held back. (A file of its own: pacing is set once per process.)

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { enableHeapPacing, heapPacingStats, paceHeap } from '../../src/heap-pacer.js';

/** 32 MB of arrays in the large-object space (old generation), held by the caller so that V8 cannot free them. */
function burst(): number[][] {
  return Array.from({ length: 32 }, () => new Array<number>(131_072).fill(1.5));
}

test('a share outside (0, 1] is refused; after a collection, periodic checks wait by the share, and an urgent one does not', async () => {
  assert.throws(() => enableHeapPacing({ maxTimeShare: 0 }), /maxTimeShare 0 is not a share of the time in \(0, 1\]/);
  assert.throws(() => enableHeapPacing({ maxTimeShare: 1.5 }), /maxTimeShare 1.5/);
  assert.equal(heapPacingStats(), null, 'a refused option leaves pacing off');
  // A share of one in a million: even a 1 ms collection holds periodic checks back for about 17 minutes.
  assert.ok(enableHeapPacing({ maxTimeShare: 1e-6 }));
  const first = burst();
  paceHeap(true);
  assert.equal(heapPacingStats()!.collections, 1, 'grown past the step: collected');
  // Past the 200 ms between periodic checks: without the share, this check would collect the second burst.
  await sleep(300);
  const second = burst();
  paceHeap();
  assert.equal(heapPacingStats()!.collections, 1, 'the periodic check waits: the last collection used the share of the time');
  paceHeap(true);
  assert.equal(heapPacingStats()!.collections, 2, 'a check asked for at once (after a listing) still collects');
  assert.equal(first.length + second.length, 64, 'both bursts held throughout: the old generation only grew');
});
