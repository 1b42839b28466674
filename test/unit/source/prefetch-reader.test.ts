// Unit tests of the prefetching reader: at most N files in flight, records handed on in schedule order, retriable failures retried.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '../../../src/errors.js';
import { alignedOrder } from '../../../src/source/aligned-order.js';
import { planPartitionFiles } from '../../../src/source/file-plan.js';
import { prefetchFiles } from '../../../src/source/prefetch-reader.js';
import type { ArchiveCatalog, ArchiveFileInfo, SourceRecord } from '../../../src/source/types.js';
import { file } from './fakes.js';

function catalogOf(files: { info: ArchiveFileInfo; records: SourceRecord[] }[], hooks: { delay?: (i: number) => number; failFirst?: Set<string> }) {
  let inFlight = 0;
  let maxInFlight = 0;
  const failed = new Set<string>();
  const catalog: ArchiveCatalog = {
    description: 'memory://',
    listFiles: async () => files.map((f) => f.info),
    async *readFile(info) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const i = files.findIndex((f) => f.info.path === info.path);
        // Later files finish first: the order must still hold.
        await new Promise((r) => setTimeout(r, hooks.delay?.(i) ?? 0));
        if (hooks.failFirst?.has(info.path) && !failed.has(info.path)) {
          failed.add(info.path);
          throw new UnavailableError('DataNode restarting');
        }
        yield files[i]!.records;
      } finally {
        inFlight--;
      }
    },
  };
  return { catalog, maxInFlight: () => maxInFlight };
}

test('files come out in schedule order with at most N reads in flight, even when later ones finish first', async () => {
  const files = Array.from({ length: 8 }, (_, i) => file(0, i * 2, [i * 10, i * 10 + 1]));
  const { catalog, maxInFlight } = catalogOf(files, { delay: (i) => (8 - i) * 3 });
  const order = [...alignedOrder([planPartitionFiles(0, files.map((f) => f.info), null)])];
  const got: bigint[] = [];
  for await (const loaded of prefetchFiles(catalog, order, 3)) got.push(...loaded.batches.flat().map((r) => r.offset));
  assert.deepEqual(got, Array.from({ length: 16 }, (_, i) => BigInt(i)));
  assert.equal(maxInFlight(), 3);
});

const noSleep = async (): Promise<void> => {};

test('a retriable storage failure re-reads the file; a fatal one is handed on as the file\'s error', async () => {
  const files = [file(0, 0, [1]), file(0, 1, [2])];
  const { catalog } = catalogOf(files, { failFirst: new Set([files[1]!.info.path]) });
  const order = [...alignedOrder([planPartitionFiles(0, files.map((f) => f.info), null)])];
  const loaded = [];
  for await (const l of prefetchFiles(catalog, order, 2, { retries: 3, sleep: noSleep })) loaded.push(l);
  assert.deepEqual(loaded.map((l) => [l.error, l.batches.flat().length]), [[undefined, 1], [undefined, 1]]);
  const { catalog: failing } = catalogOf(files, { failFirst: new Set([files[0]!.info.path]) });
  const first = await prefetchFiles(failing, order, 1, { retries: 0, sleep: noSleep }).next();
  assert.ok(first.value && first.value.error instanceof UnavailableError);
});
