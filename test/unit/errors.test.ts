// errors.ts: the exit code each class of error ends the CLI with, and that subclasses keep their parent's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthenticationError, BadRecordError, ConnectionError, CoPartitioningError, CorruptFileError, EventTimeMismatchError, EXIT_FAILED, EXIT_USAGE,
  OffsetGapError, OxbowError, PartitionConflict, SavepointError, SourceStuckError, UnavailableError, UsageError,
} from '../../src/errors.js';

test('errors that ask the user to fix options or input exit 2; every failure of the run exits 1', () => {
  const usage = [
    new UsageError('bad option'),
    new CoPartitioningError('u1', 0, 1),
    new EventTimeMismatchError('other clock'),
    new SavepointError('/sp.json', 'corrupt'),
    new BadRecordError('not JSON', 3),
  ];
  for (const err of usage) assert.equal(err.exitCode, EXIT_USAGE, err.name);
  const failed = [
    new ConnectionError('127.0.0.1:9092', 'down'),
    new AuthenticationError('wrong password'),
    new UnavailableError('safe mode'),
    new CorruptFileError('/a.parquet', 'truncated'),
    new OffsetGapError('t', 0, 1n, 2n, 'hole'),
    new SourceStuckError('stuck'),
    new PartitionConflict('raced'),
    new OxbowError('IO', 'disk'),
  ];
  for (const err of failed) assert.equal(err.exitCode, EXIT_FAILED, err.name);
});
