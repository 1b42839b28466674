// Heap pacing collects when the old generation has grown by its step since the last collection, and not otherwise.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enableHeapPacing, heapPacingStats, paceHeap } from '../../src/heap-pacer.js';

test('off until enabled; once on, a burst of garbage past the step is collected and the next check finds nothing to do', () => {
  assert.equal(heapPacingStats(), null, 'off by default: a library user decides for their process');
  paceHeap(true);
  assert.ok(enableHeapPacing(), 'Node 20 gives gc() once --expose-gc is set at run time');
  assert.ok(enableHeapPacing(), 'enabling twice is harmless');
  assert.deepEqual(heapPacingStats(), { collections: 0, collectMs: 0 });
  // 32 MB of arrays go straight to the large-object space (old generation), then become garbage.
  let burst: number[][] | null = Array.from({ length: 32 }, () => new Array<number>(131_072).fill(1.5));
  assert.equal(burst.length, 32);
  burst = null;
  paceHeap(true);
  assert.equal(heapPacingStats()!.collections, 1, 'grown past the step: collected');
  paceHeap(true);
  assert.equal(heapPacingStats()!.collections, 1, 'nothing grew since: no second collection');
  let again: number[][] | null = Array.from({ length: 32 }, () => new Array<number>(131_072).fill(2.5));
  assert.equal(again.length, 32);
  again = null;
  paceHeap(true);
  assert.equal(heapPacingStats()!.collections, 2, 'the second burst is collected once');
});
