// The closing totals line of `npm test` comes from the TAP summary node:test writes last.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addTotals, formatTotals, parseTapTotals } from '../../../tools/test/tap-summary.js';

const TAP = `TAP version 13
# Subtest: inner
    # tests 9
    # pass 9
ok 1 - inner
1..3
# tests 12
# suites 2
# pass 10
# fail 1
# cancelled 1
# skipped 2
# todo 0
# duration_ms 123.4
`;

test('reads the last top-level totals, not a nested suite', () => {
  assert.deepEqual(parseTapTotals(TAP), { tests: 12, passed: 10, failed: 1, cancelled: 1, skipped: 2, todo: 0 });
});

test('no summary (the run was killed) gives undefined', () => {
  assert.equal(parseTapTotals('TAP version 13\nok 1 - a\n'), undefined);
  assert.equal(parseTapTotals(''), undefined);
});

test('the closing line counts cancelled tests as failed and shows skipped only when there are any', () => {
  assert.equal(formatTotals({ tests: 12, passed: 10, failed: 1, cancelled: 1, skipped: 2, todo: 0 }), 'tests: 10 passed, 2 failed, 2 skipped');
  assert.equal(formatTotals({ tests: 3, passed: 3, failed: 0, cancelled: 0, skipped: 0, todo: 0 }), 'tests: 3 passed, 0 failed');
});

test('the totals of the phases of one run add up', () => {
  const a = { tests: 3, passed: 2, failed: 1, cancelled: 0, skipped: 0, todo: 0 };
  const b = { tests: 5, passed: 4, failed: 0, cancelled: 1, skipped: 1, todo: 0 };
  assert.equal(formatTotals(addTotals(a, b)), 'tests: 6 passed, 2 failed, 1 skipped');
});
