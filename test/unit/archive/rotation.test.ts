// Rotation policy: records, bytes and age each make a file due; bad option values are UsageErrors naming the option.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rotationDue, validateRotation } from '../../../src/archive/rotation.js';
import { UsageError } from '../../../src/errors.js';

test('a file is due by records, bytes or age, in that order', () => {
  const r = { records: 100, bytes: 1000, intervalMs: 50 };
  assert.equal(rotationDue(r, { count: 10, bytes: 10, openedAt: 0 }, 10), null);
  assert.equal(rotationDue(r, { count: 100, bytes: 5000, openedAt: 0 }, 100), 'records');
  assert.equal(rotationDue(r, { count: 1, bytes: 1000, openedAt: 0 }, 100), 'bytes');
  assert.equal(rotationDue(r, { count: 1, bytes: 1, openedAt: 0 }, 50), 'interval');
  assert.throws(() => validateRotation({ ...r, records: 0 }), (e: unknown) => e instanceof UsageError && e.message.includes('--rotate-records'));
  assert.throws(() => validateRotation({ ...r, bytes: 10 }), (e: unknown) => e instanceof UsageError && e.message.includes('--rotate-bytes'));
});
