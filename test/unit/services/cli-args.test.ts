// The services command line: both-service commands take no argument, fault commands take exactly one known service.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.js';
import { parseServicesArgs } from '../../../tools/services/cli-args.js';

test('start, stop and status act on both services', () => {
  for (const command of ['start', 'stop', 'status'] as const) assert.deepEqual(parseServicesArgs([command]), { command });
});

test('restart, pause and resume name one service', () => {
  for (const command of ['restart', 'pause', 'resume'] as const) {
    for (const service of ['kafka', 'hdfs'] as const) assert.deepEqual(parseServicesArgs([command, service]), { command, service });
  }
});

test('help in its three spellings', () => {
  for (const word of ['help', '--help', '-h']) assert.deepEqual(parseServicesArgs([word]), { command: 'help' });
});

const refusals: [string[], RegExp][] = [
  [[], /expected a command/],
  [['restart'], /restart needs exactly one service, kafka or hdfs; got nothing/],
  [['pause', 'zookeeper'], /pause needs exactly one service.*got "zookeeper"/],
  [['resume', 'kafka', 'hdfs'], /resume needs exactly one service.*got "kafka hdfs"/],
  [['start', 'kafka'], /start acts on both services and takes no argument, got "kafka"/],
  [['kill', 'kafka'], /unknown command "kill"/],
];

for (const [argv, message] of refusals) {
  test(`"${argv.join(' ')}" is a usage error that says why and shows the usage`, () => {
    assert.throws(
      () => parseServicesArgs(argv),
      (err: unknown) => err instanceof UsageError && message.test(err.message) && err.message.includes('usage: npm run services'),
    );
  });
}
