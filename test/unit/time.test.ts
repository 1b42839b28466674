// time.ts: the option values every command parses the same way (durations, sizes, counts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseCount, parseDuration, parseSize } from '../../src/time.js';

test('counts are whole numbers from min up; anything else names the option', () => {
  assert.equal(parseCount('4', '--prefetch'), 4);
  assert.equal(parseCount(' 12 ', '--users'), 12);
  assert.equal(parseCount('0', '--seed', 0), 0);
  for (const bad of ['0', '-1', '1.5', '1e3', 'four', '', '99999999999999999999']) {
    assert.throws(() => parseCount(bad, '--prefetch'), (e: unknown) => e instanceof UsageError && e.message === `--prefetch: '${bad}' is not a whole number >= 1`, bad);
  }
});

test('durations and sizes', () => {
  assert.equal(parseDuration('1500ms'), 1500);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseSize('64MiB'), 64 * 1024 ** 2);
  assert.throws(() => parseSize('lots', '--rotate-bytes'), /--rotate-bytes: 'lots' is not a size/);
});
