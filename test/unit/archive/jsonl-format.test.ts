// JSONL.gz round trip: lossless records, metadata trailer by one range read, plain gunzip sees only the data lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { JsonLineEncoder, jsonlGzFormat, recordFromJsonLine, recordToJsonLine } from '../../../src/archive/jsonl-format.js';
import { type ArchivedRecord, MetadataAccumulator } from '../../../src/archive/record.js';
import { CorruptFileError } from '../../../src/errors.js';
import { MemoryFs } from './memory-fs.js';
import { sampleRecords } from './records.js';
import { mulberry32 } from '../../../src/gen/prng.js';

/**
 * The oracle: the line as docs/archive.md "JSONL.gz" defines it, made by JSON.stringify of the record's object
 * (valid UTF-8 as text, others as base64 with their flag after the value).
 */
function documentedLine(r: ArchivedRecord): string {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const bytes = (b: Uint8Array): { text: string; base64?: true } => {
    try {
      return { text: strict.decode(b) };
    } catch {
      return { text: Buffer.from(b).toString('base64'), base64: true };
    }
  };
  const line: Record<string, unknown> = { offset: r.offset.toString(), timestamp: r.timestamp, key: null, value: null };
  if (r.key) {
    const k = bytes(r.key);
    line.key = k.text;
    if (k.base64) line.keyBase64 = true;
  }
  if (r.value) {
    const v = bytes(r.value);
    line.value = v.text;
    if (v.base64) line.valueBase64 = true;
  }
  line.headers = r.headers.map((h) => {
    if (h.value === null) return { key: h.key, value: null };
    const v = bytes(h.value);
    return v.base64 ? { key: h.key, value: v.text, valueBase64: true } : { key: h.key, value: v.text };
  });
  line.eventTime = r.eventTime;
  return JSON.stringify(line);
}

test('the encoder writes the documented line byte for byte: escapes, invalid UTF-8, numbers of every size', () => {
  const rnd = mulberry32(11);
  // Every byte JSON escapes, multi-byte characters (U+2028 and the BOM are not escaped by JSON.stringify), and bytes
  // that make UTF-8 invalid: a lone continuation, an overlong form, an encoded surrogate, a code point past U+10FFFF.
  const pieces = ['"', '\\', '\n', '\t', '\b', '\f', '\r', '\u0000', '\u0001', '\u001f', '\u007f', 'é', '€', '😀', '\u2028', '\ufeff', 'a', '{"ts":1}', ' ']
    .map((p) => Buffer.from(p));
  const invalid = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]].map((b) => Buffer.from(b));
  const bytes = (): Uint8Array | null => {
    if (rnd() < 0.1) return null;
    const parts: Buffer[] = [];
    for (let n = Math.floor(rnd() * 12); n > 0; n--) parts.push(pieces[Math.floor(rnd() * pieces.length)]!);
    if (rnd() < 0.15) parts.splice(Math.floor(rnd() * (parts.length + 1)), 0, invalid[Math.floor(rnd() * invalid.length)]!);
    return new Uint8Array(Buffer.concat(parts));
  };
  const numbers = [0, -0, 7, 99_999_999, 100_000_000, 100_000_001, 1_732_406_400_000, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e21, -1, -1_732_406_400_000, 0.5];
  const number = (): number => (rnd() < 0.5 ? numbers[Math.floor(rnd() * numbers.length)]! : Math.floor(rnd() * 4e12));
  const offsets = [0n, 9n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, -1n];
  const encoder = new JsonLineEncoder(64);
  const expected: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const r: ArchivedRecord = {
      offset: rnd() < 0.2 ? offsets[Math.floor(rnd() * offsets.length)]! : BigInt(Math.floor(rnd() * 1e9)),
      timestamp: number(), key: bytes(), value: bytes(),
      headers: rnd() < 0.1 ? [{ key: 'tr"ace\n', value: bytes() }, { key: 'none', value: null }] : [],
      eventTime: rnd() < 0.2 ? null : number(),
    };
    const line = documentedLine(r);
    assert.equal(recordToJsonLine(r), line);
    encoder.append(r);
    expected.push(line + '\n');
  }
  assert.equal(Buffer.from(encoder.take()).toString('utf8'), expected.join(''));
  assert.equal(encoder.length, 0);
});

test('a storage failure while a gzip member is in flight fails the file at finish, and is never an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const fs = new MemoryFs();
    const broken = new Error('the storage went away');
    let chunks = 0;
    fs.writeFile = async (_path, data) => {
      for await (const _ of data as AsyncIterable<Uint8Array>) if (++chunks === 1) throw broken;
    };
    const w = jsonlGzFormat.createWriter(fs, '/f.jsonl.gz');
    // Each write holds more than a member: write() hands it to gzip and returns with it in flight. The first member
    // reaches the storage, which then fails; the second member's push finds the failure while nothing of the writer's
    // is awaited.
    const records = sampleRecords(0n, 24_000);
    const acc = new MetadataAccumulator();
    records.forEach((r) => acc.add(r));
    const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
    await w.write(records.slice(0, 12_000));
    await pause();
    await w.write(records.slice(12_000));
    await pause();
    assert.equal(chunks, 1, 'the storage saw the first member');
    await assert.rejects(w.finish(acc.toMetadata('t', 0, 24_000n, 'jsonl.gz', 'ts')), (e: unknown) => e === broken);
    await w.abort(broken);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('one record survives a JSON line exactly, binary bytes via base64 flags', () => {
  for (const r of sampleRecords(10n, 30)) assert.deepEqual(recordFromJsonLine(recordToJsonLine(r)), r);
  const line = JSON.parse(recordToJsonLine(sampleRecords(0n, 3)[2]!)) as Record<string, unknown>;
  assert.equal(line.valueBase64, true);
  assert.equal(line.offset, '2');
});

test('a written file reads back in batches with its metadata, and gunzip sees only record lines', async () => {
  const fs = new MemoryFs();
  const records = sampleRecords(1000n, 25_000, 2n);
  const w = jsonlGzFormat.createWriter(fs, '/t/f.jsonl.gz');
  const acc = new MetadataAccumulator();
  for (let i = 0; i < records.length; i += 3000) {
    const batch = records.slice(i, i + 3000);
    for (const r of batch) acc.add(r);
    await w.write(batch);
  }
  const meta = acc.toMetadata('t', 4, 1000n + 2n * 25_000n, 'jsonl.gz', 'ts');
  await w.finish(meta);
  assert.ok(w.bytesWritten > 0);
  const back = [];
  for await (const b of jsonlGzFormat.readBatches(fs, '/t/f.jsonl.gz')) back.push(...b);
  assert.deepEqual(back, records);
  assert.deepEqual(await jsonlGzFormat.readMetadata(fs, '/t/f.jsonl.gz'), meta);
  assert.equal(meta.eventTimeMissing, records.filter((r) => r.eventTime === null).length);
  const untimed = records.filter((r) => r.eventTime === null).map((r) => r.timestamp);
  assert.ok(untimed.length > 0, 'the sample holds records without an event time');
  assert.equal(meta.untimedMinTimestamp, Math.min(...untimed));
  const lines = gunzipSync(fs.files.get('/t/f.jsonl.gz')!).toString('utf8').trimEnd().split('\n');
  assert.equal(lines.length, records.length);
});

test('a truncated file is a CorruptFileError naming the path', async () => {
  const fs = new MemoryFs();
  const w = jsonlGzFormat.createWriter(fs, '/f.jsonl.gz');
  const records = sampleRecords(0n, 100);
  await w.write(records);
  const acc = new MetadataAccumulator();
  records.forEach((r) => acc.add(r));
  await w.finish(acc.toMetadata('t', 0, 100n, 'jsonl.gz', 'ts'));
  const bytes = fs.files.get('/f.jsonl.gz')!;
  fs.files.set('/f.jsonl.gz', bytes.slice(0, bytes.byteLength - 300));
  await assert.rejects(jsonlGzFormat.readMetadata(fs, '/f.jsonl.gz'), (e: unknown) => e instanceof CorruptFileError && e.message.includes('/f.jsonl.gz'));
  await assert.rejects(async () => {
    for await (const _ of jsonlGzFormat.readBatches(fs, '/f.jsonl.gz')) void _;
  }, CorruptFileError);
});
