// Writes fixtures/archive-formats/v<METADATA_VERSION>/: one Parquet and one JSONL.gz file holding the format sample records,
// written by this version's writers, each with `<file>.expected.json` (its metadata and records). Samples of released
// versions are never rewritten: the test reads every version's files with the current reader.
// Run: npm run build && node dist/tools/gen/build-format-fixtures.js

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { buildFileName } from '../../src/archive/file-name.js';
import { jsonlGzFormat } from '../../src/archive/jsonl-format.js';
import { METADATA_VERSION, MetadataAccumulator, metadataToJson } from '../../src/archive/record.js';
import { FORMAT_SAMPLE, formatSampleRecords, recordJson } from './format-records.js';

async function main(): Promise<void> {
  const dir = resolve(`fixtures/archive-formats/v${METADATA_VERSION}`);
  await mkdir(dir, { recursive: true });
  const records = formatSampleRecords();
  for (const format of [parquetFormat, jsonlGzFormat]) {
    const name = buildFileName(FORMAT_SAMPLE.topic, FORMAT_SAMPLE.partition, records[0]!.offset, records[records.length - 1]!.offset, format.extension);
    const path = join(dir, name);
    if (existsSync(path)) {
      process.stdout.write(`kept ${path}\n`);
      continue;
    }
    const acc = new MetadataAccumulator();
    for (const r of records) acc.add(r);
    const metadata = acc.toMetadata(FORMAT_SAMPLE.topic, FORMAT_SAMPLE.partition, FORMAT_SAMPLE.nextOffset, format.name, 'ts');
    const writer = format.createWriter(new LocalFs(), path);
    await writer.write(formatSampleRecords());
    await writer.finish(metadata);
    await writeFile(`${path}.expected.json`, JSON.stringify({ metadata: metadataToJson(metadata), records: records.map(recordJson) }, null, 1) + '\n');
    process.stdout.write(`wrote ${path}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`build-format-fixtures: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
