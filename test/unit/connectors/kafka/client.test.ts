// The Kafka client factory: --brokers checked up front, kafkajs failures mapped to errors that name the brokers.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaCall, mapKafkaError, parseBrokers } from '../../../../connectors/kafka/client.js';
import { ConnectionError, UsageError } from '../../../../src/errors.js';

test('--brokers accepts host:port lists and names a bad entry', () => {
  assert.deepEqual(parseBrokers('a:9092, b.example:19092'), ['a:9092', 'b.example:19092']);
  for (const bad of ['', 'localhost', 'localhost:0', 'host:99999', 'a:9092,b']) {
    assert.throws(() => parseBrokers(bad), (e: unknown) => e instanceof UsageError && e.message.includes('--brokers'), bad);
  }
});

test('a kafkajs connection failure becomes a ConnectionError naming the brokers and what to check', () => {
  const kafkajsError = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' });
  const wrapped = Object.assign(new Error('Number of retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: kafkajsError });
  const err = mapKafkaError(wrapped, '127.0.0.1:1', 'connecting the consumer');
  assert.ok(err instanceof ConnectionError);
  assert.match(err.message, /127\.0\.0\.1:1/);
  assert.match(err.message, /--brokers/);
});

test('a call that never answers fails with a ConnectionError after the timeout', async () => {
  await assert.rejects(kafkaCall('h:1', 'testing', () => new Promise(() => {}), 20), (e: unknown) => e instanceof ConnectionError && e.message.includes('h:1'));
});
