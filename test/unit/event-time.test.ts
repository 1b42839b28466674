// The one event-time definition: a JSON field (epoch ms or ISO-8601, dotted paths) or the Kafka timestamp; null when unusable.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { eventTimeByParse, eventTimeExtractor, eventTimeOfValue, parseEventTimeDefinition } from '../../src/event-time.js';

const def = (text: string) => parseEventTimeDefinition(text);
const bytes = (s: string) => new TextEncoder().encode(s);

test('event time from a field, a nested field, or the Kafka timestamp; null when unusable', () => {
  const ts = eventTimeExtractor(def('ts'));
  assert.equal(ts(bytes('{"ts":1732406400000}'), 5), 1732406400000);
  assert.equal(ts(bytes('{"ts":"2024-11-24T00:00:00Z"}'), 5), Date.parse('2024-11-24T00:00:00Z'));
  for (const bad of ['{"ts":"soon"}', '{}', 'not json', '[1]', '{"ts":null}']) assert.equal(ts(bytes(bad), 5), null, bad);
  assert.equal(ts(null, 5), null);
  assert.equal(eventTimeExtractor(def('meta.ts'))(bytes('{"meta":{"ts":42}}'), 5), 42);
  assert.equal(eventTimeExtractor(def('kafka-timestamp'))(null, 77), 77);
  // Beyond ±(2^53 − 1) ms is no time: not one a number holds exactly, nor one an archive's INT64 column takes.
  for (const absurd of ['1e300', '-1e19', '9007199254740992', '12345678901234567890', '"9007199254740993"']) {
    assert.equal(ts(bytes(`{"ts":${absurd}}`), 5), null, absurd);
    assert.equal(eventTimeOfValue(def('ts'), JSON.parse(`{"ts":${absurd}}`), 5), null, absurd);
  }
  assert.equal(ts(bytes('{"ts":1732406400000.5}'), 5), 1732406400000);
  assert.equal(ts(bytes('{"ts":-9007199254740991}'), 5), -9007199254740991);
  assert.equal(eventTimeExtractor(def('kafka-timestamp'))(null, 2 ** 53), null);
  assert.equal(eventTimeOfValue(def('kafka-timestamp'), null, 1.7324064e18), null);
  assert.throws(() => parseEventTimeDefinition('a b'), (e: unknown) => e instanceof UsageError && /--event-time: 'a b'/.test(e.message));
});

test('the byte scan of a top-level field agrees with JSON.parse on tricky values', () => {
  const corpus = [
    '{"ts":1732406400000}', '{"a":{"ts":1},"ts":2}', '{"ts":2,"a":{"ts":1}}', '{"a":"\\"ts\\":5","ts":6}', '{"a":"x\\"ts\\":5"}',
    '{"note":"ts","x":1}', '{"a":"\\"ts\\": 9"}', ' \n{ "ts" :\t1732406400000 } \r\n', '{"ts":"2024-11-24T00:00:00Z"}',
    '{"ts":"2024-11-24T00:00:00.123+02:00"}', '{"ts":" 1700000000000 "}', '{"ts":"1700000000000"}', '{"ts":-5}', '{"ts":-0}',
    '{"ts":1.9}', '{"ts":-1.9}', '{"ts":1e3}', '{"ts":1E+3}', '{"ts":1e400}', '{"ts":12345678901234567890}',
    '{"ts":123456789012345}', '{"ts":1234567890123456}', '{"ts":9007199254740993}', '{"ts":0.5e1}', '{}', '{"a":1}',
    '{"ts":1,"ts":2}', '{"ts":"2024-11-24T00:00:00Z","ts":7}', '{"ts":1,"ts":"x"}', 'not json', '[1]', '{"ts":null}',
    '{"ts":true}', '{"ts":[1]}', '{"ts":{"x":1}}', '{"ts":01}', '{"ts":1,}', '{"ts":1', '{"ts":1}x', '{"ts":1}{}',
    '{"ts":-}', '{"ts":1.}', '{"ts":.5}', '{"ts":1e}', '{"t\\u0073":3}', '{"ts":"\\u0032"}', '{"tsx":1}', '{"t":1}',
    '{"ts" 1}', '{ts:1}', "{'ts':1}", '{"ts":+1}', '{"x":true,"y":false,"z":null,"ts":4}', '{"x":tru,"ts":4}',
    '{"é":1,"ts":3}', '{"ts":"soon"}', '"ts"', '42', 'null', '\ufeff{"ts":1}', '{"ts":1}\u00a0', '{"ts":Infinity}',
    '{"ts":NaN}', '{"__proto__":5,"ts":3}', '{"a":"\t","ts":1}', '{"ts":"2024-13-45T00:00:00Z"}',
  ];
  const scan = eventTimeExtractor(def('ts'));
  const parse = eventTimeByParse(def('ts'));
  for (const s of corpus) assert.equal(scan(bytes(s), 5), parse(bytes(s), 5), s);
  // Non-UTF-8 bytes: the decoder replaces them, JSON.parse may still succeed.
  const raw = new Uint8Array([...bytes('{"a":"'), 0xff, 0xfe, ...bytes('","ts":8}')]);
  assert.equal(scan(raw, 5), parse(raw, 5));
  assert.equal(scan(raw, 5), 8);
  for (const [s, want] of [['{"a":{"ts":1},"ts":2}', 2], ['{"ts":1,"ts":2}', 2], ['{"ts":-1.9}', -1], ['{"ts":"1700000000000"}', 1700000000000]] as const) {
    assert.equal(scan(bytes(s), 5), want, s);
  }
  assert.ok(Object.is(scan(bytes('{"ts":-0}'), 5), parse(bytes('{"ts":-0}'), 5)));
  for (const spec of ['constructor', 'toString', '__proto__']) {
    for (const s of ['{}', `{"${spec}":5}`, '{"a":1}']) assert.equal(eventTimeExtractor(def(spec))(bytes(s), 5), eventTimeByParse(def(spec))(bytes(s), 5), `${spec} ${s}`);
  }
});

test('the byte scan agrees with JSON.parse on generated flat and broken objects', () => {
  const pieces = ['{', '}', '"ts"', '"a"', ':', ',', ' ', '1', '-', '0', '.', 'e', '"x"', '"2024-11-24T00:00:00Z"', 'true', 'null', '[', ']', '\\', '"'];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const scan = eventTimeExtractor(def('ts'));
  const parse = eventTimeByParse(def('ts'));
  for (let k = 0; k < 20_000; k++) {
    let s = '{"ts":';
    const len = rand(12);
    for (let j = 0; j < len; j++) s += pieces[rand(pieces.length)];
    if (rand(2) === 0) s += '}';
    assert.equal(scan(bytes(s), 5), parse(bytes(s), 5), s);
  }
});

test('one definition, read from bytes (archiver) or from a parsed value (sessions job), gives the same time', () => {
  const values = ['{"ts":1732406400000}', '{"ts":"2024-11-24T00:00:00Z"}', '{"meta":{"ts":5}}', '{"x":1}', '{"ts":null}', 'not json'];
  for (const text of ['ts', 'meta.ts', 'kafka-timestamp']) {
    const d = def(text);
    for (const v of values) {
      let parsed: unknown = null;
      try { parsed = JSON.parse(v); } catch { /* the job counts such a record as bad before asking its time */ continue; }
      assert.equal(eventTimeOfValue(d, parsed, 99), eventTimeExtractor(d)(bytes(v), 99), `${text} of ${v}`);
    }
  }
  assert.deepEqual(def('kafka-timestamp'), { text: 'kafka-timestamp', path: null });
  assert.deepEqual(def(' meta.ts '), { text: 'meta.ts', path: ['meta', 'ts'] });
});
