// The test runner runs compiled tests whose source still exists and reports the stale rest.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { findTests, isFaultTest, isIntegrationTest } from '../../../tools/test/find-tests.js';

async function touch(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '');
}

test('finds dist/test/**/*.test.js with a source, sorted; stale outputs and helpers are left out', async () => {
  const root = await mkdtemp(join(tmpdir(), 'oxbow-find-tests-'));
  try {
    for (const name of ['unit/b.test', 'unit/a/deep.test', 'integration/kafka.test']) {
      await touch(join(root, 'dist', 'test', `${name}.js`));
      await touch(join(root, 'test', `${name}.ts`));
    }
    await touch(join(root, 'dist', 'test', 'unit', 'gone.test.js'));
    await touch(join(root, 'dist', 'test', 'unit', 'helper.js'));
    await touch(join(root, 'dist', 'test', 'unit', 'b.test.js.map'));

    const all = await findTests(root);
    assert.deepEqual(all.files, [
      join(root, 'dist/test/integration/kafka.test.js'),
      join(root, 'dist/test/unit/a/deep.test.js'),
      join(root, 'dist/test/unit/b.test.js'),
    ]);
    assert.deepEqual(all.stale, [join(root, 'dist/test/unit/gone.test.js')]);

    const unit = await findTests(root, 'unit');
    assert.deepEqual(unit.files, [join(root, 'dist/test/unit/a/deep.test.js'), join(root, 'dist/test/unit/b.test.js')]);

    assert.equal(isIntegrationTest(root, join(root, 'dist/test/integration/kafka.test.js')), true);
    assert.equal(isIntegrationTest(root, join(root, 'dist/test/unit/b.test.js')), false);
    // Fault tests (they restart the shared services) are integration tests of their own phase.
    assert.equal(isFaultTest(root, join(root, 'dist/test/integration/faults/hdfs.test.js')), true);
    assert.equal(isIntegrationTest(root, join(root, 'dist/test/integration/faults/hdfs.test.js')), true);
    assert.equal(isFaultTest(root, join(root, 'dist/test/integration/kafka.test.js')), false);
    assert.equal(isFaultTest(root, join(root, 'dist/test/unit/faults/x.test.js')), false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a missing dist/test gives no files rather than an error', async () => {
  const root = await mkdtemp(join(tmpdir(), 'oxbow-find-tests-'));
  try {
    assert.deepEqual(await findTests(root), { files: [], stale: [] });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
