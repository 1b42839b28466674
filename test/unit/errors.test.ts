// errors.ts: the exit code each class of error ends the CLI with, and that subclasses keep their parent's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BadRecordError, ConnectionError, CoPartitioningError, CorruptFileError, EventTimeMismatchError, EXIT_FAILED, EXIT_USAGE,
  OffsetGapError, OxbowError, PartitionConflict, SavepointError, SourceStuckError, UnavailableError, UsageError,
} from '../../src/errors.js';
import { main } from '../../src/cli/main.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';

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
    new UnavailableError('safe mode'),
    new CorruptFileError('/a.parquet', 'truncated'),
    new OffsetGapError('t', 0, 1n, 2n, 'hole'),
    new SourceStuckError('stuck'),
    new PartitionConflict('raced'),
    new OxbowError('IO', 'disk'),
  ];
  for (const err of failed) assert.equal(err.exitCode, EXIT_FAILED, err.name);
});

test('the CLI exits with the class exit code and prints the message once', async () => {
  const stderr = new PassThrough();
  const chunks: string[] = [];
  stderr.on('data', (c: Buffer) => chunks.push(c.toString()));
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-errors-'));
  const savepoint = join(dir, 'savepoint.json');
  await writeFile(savepoint, 'not a savepoint');
  const code = await main(['node', 'oxbow', 'sessions', '--archive', `file://${resolve('fixtures/sample-archive')}`, '--from-savepoint', savepoint], { stderr, stdout: new PassThrough() });
  await rm(dir, { recursive: true });
  assert.equal(code, EXIT_USAGE, chunks.join(''));
  assert.equal(chunks.join('').match(/^oxbow: /gm)?.length, 1, chunks.join(''));
  assert.ok(chunks.join('').startsWith(`oxbow: ${savepoint}: not a usable oxbow savepoint`), chunks.join(''));
});
