// An unreachable broker: `oxbow archive` and `oxbow inspect` fail with a message naming the address (exit 1), not a hang or a stack.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './archive-support.js';

test('archive and inspect against a broker address where nothing listens fail clearly', { timeout: 120_000 }, async () => {
  const dead = '127.0.0.1:1';
  const [archive, inspect] = await Promise.all([
    runCli(['archive', '--brokers', dead, '--topic', 't', '--archive', 'file:///tmp/oxbow-never', '--until-caught-up']),
    runCli(['inspect', '--brokers', dead, '--archive', 'file:///tmp/oxbow-never', '--topic', 't']),
  ]);
  for (const r of [archive, inspect]) {
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /oxbow: cannot reach Kafka at 127\.0\.0\.1:1/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  }
});
