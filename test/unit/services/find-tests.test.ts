// The test runner runs compiled tests whose source still exists and reports the stale rest.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { findTests, isFaultTest, isIntegrationTest, planPhases } from '../../../tools/test/find-tests.js';

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

test('fault tests run last, one at a time, with the unit tests beside them but those that start service processes, which run first', () => {
  const root = '/repo';
  const f = (name: string) => join(root, 'dist/test', `${name}.test.js`);
  const all = ['conformance/cases', 'integration/archive', 'integration/faults/hdfs', 'integration/faults/kafka', 'integration/sessions',
    'unit/engine/engine', 'unit/services/lifecycle', 'unit/services/ports'].map(f);
  assert.deepEqual(planPhases(root, all, 2), [
    { name: 'tests', runs: [{ files: [f('unit/services/lifecycle'), f('unit/services/ports'), f('integration/archive'), f('integration/sessions')], concurrency: 2 }] },
    { name: 'fault tests (one file at a time), unit tests beside them', runs: [
      { files: [f('integration/faults/hdfs'), f('integration/faults/kafka')], concurrency: 1 },
      { files: [f('conformance/cases'), f('unit/engine/engine')], concurrency: 1 },
    ] },
  ]);
  // Without fault tests the unit tests run in the one phase, as many at a time as asked.
  const noFaults = all.filter((file) => !isFaultTest(root, file));
  assert.deepEqual(planPhases(root, noFaults, 3), [{ name: 'tests', runs: [{ files: [f('unit/services/lifecycle'), f('unit/services/ports'), f('conformance/cases'),
    f('integration/archive'), f('integration/sessions'), f('unit/engine/engine')], concurrency: 3 }] }]);
  // Fault tests alone (npm test -- <their files>).
  assert.deepEqual(planPhases(root, [f('integration/faults/hdfs')], 2), [{ name: 'fault tests (one file at a time)', runs: [{ files: [f('integration/faults/hdfs')], concurrency: 1 }] }]);
  assert.deepEqual(planPhases(root, [], 2), []);
});
