// fixtures/sample-archive/ is what tools/gen/build-sample-archive.ts makes of the generators: its listens are still the
// oxbow 0.1 archive, its profiles are the generator's versions archived as a compacted topic keyed by user, and most of
// the sample's sessions find a profile at their start.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../../src/archive/partition-index.js';
import { partitionOf, type ProfileVersion } from '../../../src/gen/music-events.js';
import { archiveCatalog } from '../../../src/source/archive-catalog.js';
import { SAMPLE_PARTITIONS, sampleEvents, sampleProfiles } from '../../../tools/gen/build-sample-archive.js';
import { offlineSampleSessions, sampleFs } from '../../helpers/sample-archive.js';

const formats = formatRegistry([parquetFormat, jsonlGzFormat]);
const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));

/** Every record of a topic of the sample, per partition in offset order, with the metadata of the files holding them. */
async function readTopic(topic: string) {
  const catalog = archiveCatalog(sampleFs, resolve('fixtures/sample-archive'), topic, formats);
  const partitions = [];
  for (let p = 0; p < SAMPLE_PARTITIONS; p++) {
    const files = await catalog.listFiles(p);
    const records = [];
    for (const f of files) for await (const batch of catalog.readFile(f)) records.push(...batch);
    partitions.push({ files, records });
  }
  return partitions;
}

test('the listens topic is still the oxbow 0.1 archive the tool writes the events as (no event-time definition recorded)', async () => {
  const events = [...sampleEvents()];
  const topic = await readTopic('listens');
  for (const [p, { files, records }] of topic.entries()) {
    assert.ok(files.every((f) => f.eventTime === null), `partition ${p}: a file records an event-time definition, so it is no longer the 0.1 archive`);
    assert.deepEqual(records.map((r) => text(r.value)), events.filter((e) => partitionOf(e.userId, SAMPLE_PARTITIONS) === p).map((e) => JSON.stringify(e)));
  }
});

test('the profiles topic holds the generator\'s versions: keyed by user in the user\'s partition, Kafka timestamp = ts, tombstones without an event time', async () => {
  const versions = [...sampleProfiles()];
  const topic = await readTopic('profiles');
  for (const [p, { files, records }] of topic.entries()) {
    const want = versions.filter((v) => partitionOf(v.userId, SAMPLE_PARTITIONS) === p);
    const got = records.map((r): ProfileVersion => ({ userId: text(r.key)!, ts: r.timestamp, value: r.value === null ? null : JSON.parse(text(r.value)!) }));
    assert.deepEqual(got, want);
    assert.deepEqual(records.map((r) => r.value === null), want.map((v) => v.value === null), `partition ${p}: a tombstone is a null value, not the text null`);
    assert.deepEqual(records.map((r) => r.eventTime), want.map((v) => (v.value === null ? null : v.ts)), `partition ${p}: event times`);
    assert.ok(files.every((f) => f.eventTime === 'ts'), `partition ${p}: the files record their event-time definition`);
  }
  assert.ok(versions.some((v) => v.value === null), 'the sample has tombstones');
});

test('most of the sample\'s sessions find a profile at their start, and some find none', async () => {
  const versions = [...sampleProfiles()];
  let found = 0;
  const sessions = (await offlineSampleSessions()).map((line) => JSON.parse(line) as { key: string; start: number });
  for (const s of sessions) {
    const valid = versions.filter((v) => v.userId === s.key && v.ts <= s.start).at(-1);
    if (valid?.value) found++;
  }
  assert.ok(found > 0.8 * sessions.length && found < sessions.length, `${found} of ${sessions.length} sessions find a profile`);
});
