// Every savepoint kept in fixtures/savepoints/ (one per released format version) still loads and gives its recorded results.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CURRENT_FORMAT_VERSION, SessionEngine, readSavepoint, type SessionEngineOptions } from '../../../src/engine/index.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/savepoints');
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'));

test('fixtures/savepoints/ holds samples of every format version up to the current one', () => {
  for (let v = 1; v <= CURRENT_FORMAT_VERSION; v++) assert.ok(files.some((f) => f.startsWith(`v${v}-`)), `no sample of version ${v}: ${files.join(', ')}`);
});

for (const file of files) {
  test(`${file} restores and finishes as recorded`, async () => {
    const snap = await readSavepoint(path.join(dir, file));
    const expected = JSON.parse(readFileSync(path.join(dir, file.replace(/\.json$/, '.expected.json')), 'utf8')) as {
      options: SessionEngineOptions;
      afterFinish: unknown[];
    };
    const out: unknown[] = [];
    const engine = SessionEngine.restore(snap, expected.options, {
      result: (r) => out.push({ kind: 'result', ...r }),
      retraction: (r) => out.push({ kind: 'retract', ...r }),
      late: () => assert.fail('nothing is late at finish'),
    });
    assert.ok(engine.openSessionCount() > 0, 'the sample holds open sessions');
    engine.finish();
    assert.deepEqual(out, expected.afterFinish);
  });
}
