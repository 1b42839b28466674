// `oxbow sessions --profiles` over the sample archive, through the job path the CLI runs: every result carries the
// profile version an offline as-of join over the generator's versions gives (the oracle never reads oxbow's archive of
// them), with early firings held until the watermark passes their start, and a crash + restore publishes it exactly once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { sessionWindows } from '../../../src/engine/window-spec.js';
import { EventTimeMismatchError, SavepointError } from '../../../src/errors.js';
import { parseEventTimeDefinition } from '../../../src/event-time.js';
import { assembleSessionsJob } from '../../../src/job/assemble.js';
import { FileSink } from '../../../src/sink/file-sink.js';
import type { ArchiveCatalog, SourceRecord } from '../../../src/source/types.js';
import { FakeCatalog, file } from '../source/fakes.js';
import { sampleProfiles } from '../../../tools/gen/build-sample-archive.js';
import { MemorySink } from '../../helpers/memory-sink.js';
import { offlineSampleSessions, profileAsOf, sampleCatalog, sampleFs, sampleOptions, sampleProfilesCatalog, sampleProfilesSpec, sampleSpec } from '../../helpers/sample-archive.js';

const versions = [...sampleProfiles()];

/** The oracle: every offline session with the version valid at its start. */
async function offlineEnriched(): Promise<string[]> {
  return (await offlineSampleSessions()).map((line) => {
    const r = JSON.parse(line) as { key: string; start: number };
    return JSON.stringify({ ...r, profile: profileAsOf(versions, r.key, r.start) });
  }).sort();
}

test('every session carries the profile version valid at its start, as an offline as-of join over every version gives', async () => {
  const output = new MemorySink();
  const job = await assembleSessionsJob(sampleSpec({ profiles: sampleProfilesSpec }), {
    archive: sampleCatalog, live: null, output, store: null, restore: null, profiles: { archive: sampleProfilesCatalog, live: null },
  });
  const summary = await job.run();
  const want = await offlineEnriched();
  assert.deepEqual([...output.lines].sort(), want);
  const nulls = want.filter((l) => (JSON.parse(l) as { profile: unknown }).profile === null).length;
  assert.ok(nulls > 0 && nulls < want.length / 2, `some sessions find no profile (${nulls} of ${want.length})`);
  assert.deepEqual(summary.profiles, { versions: versions.length, tombstones: versions.filter((v) => v.value === null).length, late: 0, withoutProfile: nulls });
  assert.equal(summary.records, summary.events + versions.length, 'records read count both topics');
});

test('early firings (continuous trigger) wait for the watermark to pass their start and carry the version valid then', async () => {
  const output = new MemorySink();
  const windows = sessionWindows({ ...sampleOptions, trigger: 'continuous:5m' });
  const job = await assembleSessionsJob(sampleSpec({ windows, profiles: { ...sampleProfilesSpec } }), {
    archive: sampleCatalog, live: null, output, store: null, restore: null, profiles: { archive: sampleProfilesCatalog, live: null },
  });
  await job.run();
  const lines = output.lines.map((l) => JSON.parse(l) as { key: string; start: number; firing: string; profile: unknown });
  assert.ok(lines.some((l) => l.firing === 'early'), 'the trigger fired early');
  for (const l of lines) assert.deepEqual(l.profile, profileAsOf(versions, l.key, l.start), `${l.firing} result of ${l.key} at ${l.start}`);
  // The on-time results are the sessions of the offline pass.
  const onTime = output.lines.filter((l) => (JSON.parse(l) as { firing: string }).firing === 'on-time').map((l) => JSON.stringify({ ...JSON.parse(l) as object }));
  assert.equal(onTime.length, (await offlineEnriched()).length);
});

/** Fails reading the n-th file it is asked for: a crash in the middle of the replay. */
function crashing(catalog: ArchiveCatalog, n: number): ArchiveCatalog {
  let reads = 0;
  return { description: catalog.description, listFiles: (p) => catalog.listFiles(p), readFile(file) {
    if (++reads === n) throw new Error('simulated crash');
    return catalog.readFile(file);
  } };
}

async function runOnce(outDir: string, cpDir: string, profiles: ArchiveCatalog): Promise<void> {
  const store = new CheckpointStore(sampleFs, cpDir, 2);
  const job = await assembleSessionsJob(sampleSpec({ boundMs: 5000, prefetch: 2, checkpointIntervalMs: 0, profiles: sampleProfilesSpec }), {
    archive: sampleCatalog, live: null, output: new FileSink(sampleFs, outDir), store, restore: await store.latest(), profiles: { archive: profiles, live: null },
  });
  await job.run();
}

async function published(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const n of (await readdir(dir)).filter((x) => x.startsWith('part-')).sort()) lines.push(...(await readFile(join(dir, n), 'utf8')).split('\n').filter(Boolean));
  return lines;
}

test('crashing while reading the profiles and restoring from the latest checkpoint (format 2) publishes the enriched sessions exactly once', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  await assert.rejects(runOnce(out, cp, crashing(sampleProfilesCatalog, 4)), /simulated crash/);
  const store = new CheckpointStore(sampleFs, cp);
  const latest = await store.latest();
  assert.ok(latest?.checkpoint.profiles, 'checkpoints before the crash carry the profiles');
  assert.equal(JSON.parse(await readFile(latest.path.replace(/^file:\/\//, ''), 'utf8')).version, 2);
  await assert.rejects(runOnce(out, cp, crashing(sampleProfilesCatalog, 2)), /simulated crash/);
  await runOnce(out, cp, sampleProfilesCatalog);
  const got = (await published(out)).sort();
  assert.equal(new Set(got).size, got.length, 'no result published twice');
  assert.deepEqual(got, await offlineEnriched());
});

test('a checkpoint taken without --profiles cannot restore a job with them, nor the reverse', async () => {
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  const store = new CheckpointStore(sampleFs, cp);
  const plain = await assembleSessionsJob(sampleSpec(), { archive: sampleCatalog, live: null, output: new MemorySink(), store, restore: null });
  await plain.run();
  const restore = (await store.latest())!;
  await assert.rejects(assembleSessionsJob(sampleSpec({ profiles: sampleProfilesSpec }), {
    archive: sampleCatalog, live: null, output: new MemorySink(), store, restore, profiles: { archive: sampleProfilesCatalog, live: null },
  }), (e: unknown) => e instanceof SavepointError && /taken without --profiles/.test(e.message));
  const withProfiles = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  const store2 = new CheckpointStore(sampleFs, withProfiles);
  await (await assembleSessionsJob(sampleSpec({ profiles: sampleProfilesSpec }), {
    archive: sampleCatalog, live: null, output: new MemorySink(), store: store2, restore: null, profiles: { archive: sampleProfilesCatalog, live: null },
  })).run();
  await assert.rejects(assembleSessionsJob(sampleSpec(), { archive: sampleCatalog, live: null, output: new MemorySink(), store: store2, restore: (await store2.latest())! }),
    (e: unknown) => e instanceof SavepointError && /taken with --profiles profiles; pass --profiles profiles/.test(e.message));
});

for (const recorded of [false, true]) test(`a tombstone whose Kafka time is older than the other versions of its file is read before any session needs it (${recorded ? 'metadata 3: its Kafka time recorded' : 'older metadata: not recorded'})`, async () => {
  // The index records no event time for a tombstone (its time is its Kafka timestamp), so its file's minimum (100)
  // says nothing about it: the file must be read before the watermark passes 50, not once it reaches 99.
  const enc = (s: string) => new TextEncoder().encode(s);
  const version = (offset: number, key: string, ts: number): SourceRecord => ({ offset: BigInt(offset), timestamp: ts, key: enc(key), value: enc(JSON.stringify({ userId: key, ts })), eventTime: ts });
  const tombstone = (offset: number, key: string, ts: number): SourceRecord => ({ offset: BigInt(offset), timestamp: ts, key: enc(key), value: null, eventTime: null });
  const event = (offset: number, key: string, ts: number): SourceRecord => ({ offset: BigInt(offset), timestamp: ts, key: null, value: enc(JSON.stringify({ userId: key, ts })), eventTime: ts });
  const info = (topic: string, start: number, records: SourceRecord[]) => {
    const times = records.flatMap((r) => (r.eventTime === null ? [] : [r.eventTime]));
    const untimed = records.flatMap((r) => (r.eventTime === null ? [r.timestamp] : []));
    return {
      info: {
        ...file(0, start, times).info, path: `/a/topics/${topic}/partition=0/${topic}+0+${start}.parquet`, count: records.length, endOffset: BigInt(start + records.length - 1),
        nextOffset: BigInt(start + records.length), eventTimeMissing: untimed.length, untimedMinTimestamp: recorded && untimed.length > 0 ? Math.min(...untimed) : null,
      },
      records,
    };
  };
  const profiles = new FakeCatalog().add(info('p', 0, [version(0, 'u1', 10), version(1, 'u3', 80)])).add(info('p', 2, [tombstone(2, 'u1', 50), version(3, 'u2', 100)]));
  const events = new FakeCatalog().add(info('e', 0, [event(0, 'u1', 60), event(1, 'u1', 200)]));
  const output = new MemorySink();
  const job = await assembleSessionsJob({
    ...sampleSpec({ topic: 'e', partitions: [0], boundMs: 0, windows: sessionWindows({ gapMs: 5, aggregate: 'count' }) }),
    profiles: { topic: 'p', partitions: [0], eventTime: sampleProfilesSpec.eventTime },
  }, { archive: events, live: null, output, store: null, restore: null, profiles: { archive: profiles, live: null } });
  const summary = await job.run();
  assert.deepEqual(output.lines.map((l) => (JSON.parse(l) as { start: number; profile: unknown }).profile), [null, null], 'u1 was deleted at 50, before both sessions');
  assert.equal(summary.profiles?.late, 0);
});

test('a restore with profiles that widens --gap or --allowed-lateness is refused (the versions it could need were dropped); narrowing is allowed', async () => {
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  const store = new CheckpointStore(sampleFs, cp);
  const stop = new AbortController();
  const job = await assembleSessionsJob(sampleSpec({ checkpointIntervalMs: 0, profiles: sampleProfilesSpec }), {
    archive: sampleCatalog, live: null, output: new MemorySink(), store, restore: null, signal: stop.signal, profiles: { archive: sampleProfilesCatalog, live: null },
  });
  job.on('checkpoint', ({ payload }) => { if (payload.id >= 5) stop.abort(); });
  await job.run();
  const restore = (await store.latest())!;
  assert.equal(restore.checkpoint.kind, 'savepoint');
  const ports = { archive: sampleCatalog, live: null, output: new MemorySink(), store: null, restore, profiles: { archive: sampleProfilesCatalog, live: null } };
  for (const windows of [sessionWindows({ ...sampleOptions, gapMs: 31 * 60_000 }), sessionWindows({ ...sampleOptions, allowedLatenessMs: 1000 })]) {
    await assert.rejects(assembleSessionsJob(sampleSpec({ windows, profiles: sampleProfilesSpec }), ports),
      (e: unknown) => e instanceof SavepointError && /--gap 30m --allowed-lateness 0ms/.test(e.message) && /Restore with at most those/.test(e.message));
  }
  await assembleSessionsJob(sampleSpec({ windows: sessionWindows({ ...sampleOptions, gapMs: 20 * 60_000 }), profiles: sampleProfilesSpec }), ports);
});

test('a profiles archive in another clock than --profile-time is refused before any record, naming --profile-time', async () => {
  const job = await assembleSessionsJob(sampleSpec({ profiles: { ...sampleProfilesSpec, eventTime: parseEventTimeDefinition('kafka-timestamp') } }), {
    archive: sampleCatalog, live: null, output: new MemorySink(), store: null, restore: null, profiles: { archive: sampleProfilesCatalog, live: null },
  });
  await assert.rejects(job.run(), (e: unknown) => e instanceof EventTimeMismatchError && /this job reads --profile-time kafka-timestamp\. Pass --profile-time ts/.test(e.message));
});
