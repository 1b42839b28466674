// Archive formats are contracts: every file in fixtures/archive-formats/v<N>/ was written by version N's own writer and
// must stay readable, record for record and fact for fact, by the current readers. Samples are never rewritten; a new
// format version adds a folder (tools/gen/build-format-fixtures.ts).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { parseFileName } from '../../../src/archive/file-name.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { METADATA_VERSION, metadataFromJson, type ArchiveFormat, type ArchivedRecord, type ReplayRecord } from '../../../src/archive/record.js';
import { recordJson } from '../../../tools/gen/format-records.js';

const root = resolve('fixtures/archive-formats');
const formats: ArchiveFormat[] = [parquetFormat, jsonlGzFormat];
const versions = readdirSync(root).filter((d) => /^v\d+$/.test(d)).sort();

test('fixtures/archive-formats/ holds samples of every metadata version up to the current one, in every format', () => {
  const expected = Array.from({ length: METADATA_VERSION }, (_, i) => `v${i + 1}`);
  assert.deepEqual(versions, expected);
  for (const v of versions) {
    const exts = readdirSync(join(root, v)).filter((f) => !f.endsWith('.expected.json')).map((f) => parseFileName(f)?.extension);
    assert.deepEqual(exts.sort(), formats.map((f) => f.extension).sort(), `${v} holds one sample per format`);
  }
});

for (const v of versions) {
  for (const name of readdirSync(join(root, v)).filter((f) => !f.endsWith('.expected.json'))) {
    test(`archive-formats/${v}/${name} reads back exactly with the current reader`, async () => {
      const path = join(root, v, name);
      const format = formats.find((f) => name.endsWith(`.${f.extension}`));
      assert.ok(format, `no reader for ${name}`);
      const expected = JSON.parse(readFileSync(`${path}.expected.json`, 'utf8')) as { metadata: unknown; records: unknown[] };
      const fs = new LocalFs();
      assert.deepEqual(await format.readMetadata(fs, path), metadataFromJson(expected.metadata));
      const records: ArchivedRecord[] = [];
      for await (const batch of format.readBatches(fs, path)) records.push(...batch);
      assert.deepEqual(records.map(recordJson), expected.records);
      // A replay's read, where the format has its own: the same records but their headers.
      if (format.readReplayBatches) {
        const replayed: ReplayRecord[] = [];
        for await (const batch of format.readReplayBatches(fs, path)) replayed.push(...batch);
        assert.deepEqual(replayed.map((r) => recordJson({ ...r, headers: [] })), expected.records.map((r) => ({ ...(r as object), headers: [] })));
      }
    });
  }
}
