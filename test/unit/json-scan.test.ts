// The byte scan of flat JSON objects answers exactly what JSON.parse gives, or UNSURE; and a job's decoder that reads
// only the needed fields makes the same events and the same bad records as the one that parses every value.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Aggregate } from '../../src/engine/aggregate.js';
import { listeningAggregate } from '../../src/engine/aggregates/listening.js';
import { playlistRunsAggregate } from '../../src/engine/aggregates/playlist-runs.js';
import { sumAggregate } from '../../src/engine/aggregates/sum.js';
import { parseEventTimeDefinition } from '../../src/event-time.js';
import { createDecoder, type EventSpec } from '../../src/job/decode.js';
import { ABSENT, scanFields, scanFlatObject, type ScannedValue, UNSURE } from '../../src/json-scan.js';
import { PackedRecord } from '../../src/source/packed-record.js';
import type { SourceRecord } from '../../src/source/types.js';

const bytes = (s: string) => new TextEncoder().encode(s);

/** What JSON.parse says of `fields` in `text`: their values (ABSENT where missing), or UNSURE when it is not a flat answer. */
function byParse(text: Uint8Array, fields: string[]): unknown[] | typeof UNSURE {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(text));
  } catch {
    return UNSURE;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return UNSURE;
  return fields.map((f) => (Object.prototype.hasOwnProperty.call(v, f) ? (v as Record<string, unknown>)[f] : ABSENT));
}

/** Bytes around a value that would change the answer if the scan read past its range (digits, a closing brace, a field). */
const BEFORE = bytes('{"ts":9');
const AFTER = bytes(' 7 }\n{"userId":"zz"}');

/**
 * The scan either is unsure or agrees with JSON.parse; it is never sure of a value JSON.parse refuses. Scanned in place
 * inside a larger buffer (`from`, `to`: sessionize's lines), it gives the same answer.
 */
function agrees(text: Uint8Array, fields: string[], label: string, out?: ScannedValue[]): boolean {
  const framed = new Uint8Array(BEFORE.length + text.length + AFTER.length);
  framed.set(BEFORE);
  framed.set(text, BEFORE.length);
  framed.set(AFTER, BEFORE.length + text.length);
  const inPlace = scanFlatObject(framed, scanFields(fields), undefined, BEFORE.length, BEFORE.length + text.length);
  const scanned = scanFlatObject(text, scanFields(fields), out);
  assert.deepEqual(inPlace === UNSURE ? UNSURE : [...inPlace], scanned === UNSURE ? UNSURE : [...scanned], `${label}: scanned in place`);
  if (scanned === UNSURE) return false;
  const parsed = byParse(text, fields);
  assert.notEqual(parsed, UNSURE, `the scan answered for what JSON.parse refuses: ${label}`);
  assert.deepEqual(scanned, parsed, label);
  (scanned as unknown[]).forEach((x, i) => assert.ok(Object.is(x, (parsed as unknown[])[i]), `${label}: ${fields[i]} (-0 stays -0)`));
  return true;
}

const FIELDS = ['userId', 'ts', 'type', 'playlistId'];

test('flat objects of strings, numbers and literals are read exactly; anything else is UNSURE, never a wrong answer', () => {
  const sure = [
    '{"userId":"u42","ts":1732406400000,"type":"song","songId":"s1","playlistId":"p7"}',
    ' \n{ "userId" : "u42" ,\t"ts":-5 } \r\n', '{}', '{"a":1}', '{"userId":42,"ts":1.5e3,"type":null,"playlistId":false}',
    '{"ts":-0}', '{"ts":12345678901234567890}', '{"ts":9007199254740993}', '{"x":true,"y":false,"z":null,"userId":"a"}',
    '{"userId":"a very long user identifier of more than twenty-four characters"}', '{"userId":""}', '{"a":"x","a":"y","ts":3}',
  ];
  for (const s of sure) assert.ok(agrees(bytes(s), FIELDS, s), `sure of ${s}`);
  const unsure = [
    '{"userId":"u1","userId":"u2"}', '{"ts":1,"ts":2}', '{"meta":{"ts":1},"ts":2}', '{"tags":["a"],"ts":1}', '{"userId":"\\u0041"}',
    '{"userId":"é"}', '{"é":1,"ts":3}', 'not json', '[1]', '42', 'null', '"s"', '{"ts":01}', '{"ts":1,}', '{"ts":1', '{"ts":1}x',
    '{"ts":+1}', '{"ts":.5}', '{"ts":1.}', '{"ts":1e}', '{"ts":NaN}', '{ts:1}', "{'ts':1}", '{"x":tru,"ts":4}', '\ufeff{"ts":1}',
    '{"a":"\t","ts":1}', '{"ts":1}{}', '',
    // Literals cut short or misspelt, inside and at the end of the value.
    '{"x":fals,"ts":4}', '{"x":falsy}', '{"x":falsE}', '{"x":nul}', '{"x":nulL}', '{"x":nuLl}', '{"x":trUe}', '{"x":tru', '{"x":f}',
    '{"x":true', '{"x":n', '{"x":-}', '{"x":-a}', '{"x":0x1}',
  ];
  for (const s of unsure) assert.equal(agrees(bytes(s), FIELDS, s), false, `unsure of ${JSON.stringify(s)}`);
});

test('generated flat and broken objects: the scan never disagrees with JSON.parse', () => {
  const pieces = ['{', '}', '"ts"', '"userId"', '"type"', '"a"', ':', ',', ' ', '1', '-', '0', '.', 'e', '"x"', '"song"', 'true', 'null', '[', ']', '\\', '"', 'false', 'fals', 'nul', 'tru', 'f', 'n'];
  let seed = 777;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let sure = 0;
  // Every other case reuses one array for the values, as the decoders do: nothing of an earlier object may remain.
  const reused: ScannedValue[] = [];
  for (let k = 0; k < 30_000; k++) {
    let s = rand(3) === 0 ? '{' : '{"userId":"u1",';
    const len = rand(14);
    for (let j = 0; j < len; j++) s += pieces[rand(pieces.length)];
    if (rand(2) === 0) s += '}';
    if (agrees(bytes(s), FIELDS, s, k % 2 === 0 ? reused : undefined)) sure++;
  }
  assert.ok(sure > 100, `the generator makes some certain cases too (${sure})`);
});

test('a decoder reading only the needed fields makes the events and bad records of the one that parses every value, from a record of its own or one packed among others', () => {
  const values = [
    '{"userId":"u1","ts":1732406400000,"type":"song","songId":"s1","playlistId":"p1","amount":3}',
    '{"userId":7,"ts":"2024-11-24T00:00:00Z","type":"ad","amount":"4"}', '{"userId":"u1","ts":1732406400000}', '{"ts":1732406400000}',
    '{"userId":"u1"}', '{"userId":"u1","ts":"soon"}', '{"userId":"u1","ts":1732406400000,"amount":"x"}', 'not json', '[1]',
    '{"userId":"u1","ts":1732406400000,"nested":{"a":1},"type":"song"}', '{"userId":"u1","ts":1832406400000}',
    '{"userId":{"id":1},"ts":1732406400000}', '{"userId":true,"ts":1732406400000,"type":"song","playlistId":null}',
  ];
  const record = (v: string, i: number): SourceRecord => ({ offset: BigInt(i), timestamp: 1732406400000, key: null, value: bytes(v), eventTime: null });
  // Every value packed in one array between bytes that would change the answer if read (as the Kafka reader's thread
  // sends a batch), each with a key before it; and a record whose value is null.
  const packedBytes: number[] = [];
  const packed = values.map((v, i) => {
    packedBytes.push(...BEFORE, ...bytes(`k${i}`));
    const valueStart = packedBytes.length;
    packedBytes.push(...bytes(v), ...AFTER);
    return (all: Uint8Array) => new PackedRecord(new Float64Array(values.length).map((_, j) => j), i, 1732406400000, all, valueStart - `k${i}`.length, valueStart, valueStart, valueStart + bytes(v).length);
  });
  const all = Uint8Array.from(packedBytes);
  const nullValue = new PackedRecord(new Float64Array([0]), 0, 1732406400000, all, 0, -1, 0, -1);
  for (const aggregate of [listeningAggregate, playlistRunsAggregate(), sumAggregate('amount')] as Aggregate[]) {
    for (const eventTime of ['ts', 'kafka-timestamp']) {
      const spec: EventSpec = { keyField: 'userId', eventTime: parseEventTimeDefinition(eventTime), maxAheadMs: 3_600_000, check: aggregate.check?.bind(aggregate) };
      const full = createDecoder(spec, () => 1732406400000);
      const scanned = createDecoder({ ...spec, fields: aggregate.fields }, () => 1732406400000);
      assert.equal(scanned(nullValue, 'kafka'), full({ ...record('', 0), value: null }, 'kafka'));
      values.forEach((v, i) => {
        const a = full(record(v, i), 'kafka');
        const b = scanned(record(v, i), 'kafka');
        const label = `${aggregate.name} ${eventTime} ${v}`;
        const inPlace = packed[i]!(all);
        assert.deepEqual([inPlace.offset, inPlace.key === null ? null : [...inPlace.key], [...inPlace.value!]], [BigInt(i), [...bytes(`k${i}`)], [...bytes(v)]], label);
        assert.deepEqual(scanned(inPlace, 'kafka'), b, `${label}, packed`);
        if (typeof a === 'string' || typeof b === 'string') {
          assert.equal(b, a, label);
          return;
        }
        assert.equal(b.key, a.key, label);
        assert.equal(b.ts, a.ts, label);
        for (const f of aggregate.fields!) {
          assert.deepEqual(b.event[f], a.event[f], `${label}: ${f}`);
          assert.equal(Object.hasOwn(b.event, f), Object.hasOwn(a.event, f), `${label}: ${f} is there in both or in neither`);
        }
        // The aggregate folds both the same way.
        assert.deepEqual(aggregate.getResult(aggregate.add(aggregate.createAccumulator(), b.ts, b.event)),
          aggregate.getResult(aggregate.add(aggregate.createAccumulator(), a.ts, a.event)), label);
      });
    }
  }
});

test('field names that need escaping in JSON are read as JSON.parse reads them, never taken as code', () => {
  const names = ['we"ird', 'back\\slash', 'new\nline', '\u2028', "it's", '${x}', '`t`', 'constructor', 'toString'];
  const record = (v: string): SourceRecord => ({ offset: 0n, timestamp: 1732406400000, key: null, value: bytes(v), eventTime: null });
  for (const name of names) {
    const spec: EventSpec = { keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: 3_600_000 };
    const full = createDecoder(spec, () => 1732406400000);
    const scanned = createDecoder({ ...spec, fields: [name] }, () => 1732406400000);
    for (const v of [`{"userId":"u1","ts":1732406400000,${JSON.stringify(name)}:"x"}`, '{"userId":"u1","ts":1732406400000}']) {
      const a = full(record(v), 'kafka');
      const b = scanned(record(v), 'kafka');
      assert.ok(typeof a !== 'string' && typeof b !== 'string', v);
      assert.equal(b.event[name], a.event[name], `${name}: ${v}`);
      assert.equal(Object.hasOwn(b.event, name), Object.hasOwn(a.event, name), `${name}: ${v}`);
    }
  }
});
