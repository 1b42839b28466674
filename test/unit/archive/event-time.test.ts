// --event-time: a JSON field (epoch ms or ISO-8601, dotted paths) or the Kafka timestamp; null when unusable.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventTimeExtractor } from '../../../src/archive/event-time.js';
import { UsageError } from '../../../src/errors.js';

const bytes = (s: string) => new TextEncoder().encode(s);

test('event time from a field, a nested field, or the Kafka timestamp; null when unusable', () => {
  const ts = eventTimeExtractor('ts');
  assert.equal(ts(bytes('{"ts":1732406400000}'), 5), 1732406400000);
  assert.equal(ts(bytes('{"ts":"2024-11-24T00:00:00Z"}'), 5), Date.parse('2024-11-24T00:00:00Z'));
  for (const bad of ['{"ts":"soon"}', '{}', 'not json', '[1]', '{"ts":null}']) assert.equal(ts(bytes(bad), 5), null, bad);
  assert.equal(ts(null, 5), null);
  assert.equal(eventTimeExtractor('meta.ts')(bytes('{"meta":{"ts":42}}'), 5), 42);
  assert.equal(eventTimeExtractor('kafka-timestamp')(null, 77), 77);
  assert.throws(() => eventTimeExtractor('a b'), UsageError);
});
