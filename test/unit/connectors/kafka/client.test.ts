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

test('a bad --brokers entry is named without its password', () => {
  for (const brokers of ['alice:hunter2@kafka:9092', 'kafka1:9092,alice:hunter2@kafka2:9092', 'SASL_SSL://alice:hunter2@kafka:9093', 'kafka:9092?password=hunter2']) {
    assert.throws(() => parseBrokers(brokers), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, /--brokers: '.*\*\*\*.*' is not HOST:PORT/);
      assert.ok(!e.message.includes('hunter2'), e.message);
      return true;
    }, brokers);
  }
});

test('Kafka failures name the brokers without their passwords', async () => {
  const brokers = 'SASL_SSL://alice:hunter2@kafka:9093';
  const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
  for (const cause of [refused, new Error('UNKNOWN_TOPIC_OR_PARTITION'), Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' }), new Error('other')]) {
    const err = mapKafkaError(cause, brokers, 'testing');
    assert.ok(!err.message.includes('hunter2') && err.message.includes('alice:***@kafka:9093'), err.message);
    if (err instanceof ConnectionError) assert.ok(!err.address.includes('hunter2'));
  }
  await assert.rejects(kafkaCall(brokers, 'testing', () => new Promise(() => {}), 20), (e: unknown) => e instanceof ConnectionError && !e.message.includes('hunter2') && !e.address.includes('hunter2'));
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
