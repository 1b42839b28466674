// The CLI's shared behaviour, in-process: the exit code an error ends a command with, and how log lines are written.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../../src/cli/main.js';
import { EXIT_USAGE } from '../../../src/errors.js';

test('the CLI exits with the class exit code and prints the message once', async () => {
  const stderr = new PassThrough();
  const chunks: string[] = [];
  stderr.on('data', (c: Buffer) => chunks.push(c.toString()));
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-errors-'));
  const savepoint = join(dir, 'savepoint.json');
  await writeFile(savepoint, 'not a savepoint');
  const code = await main(['node', 'oxbow', 'sessions', '--archive', `file://${resolve('fixtures/sample-archive')}`, '--topic', 'listens', '--from-savepoint', savepoint], { stderr, stdout: new PassThrough() });
  await rm(dir, { recursive: true });
  assert.equal(code, EXIT_USAGE, chunks.join(''));
  assert.equal(chunks.join('').match(/^oxbow: /gm)?.length, 1, chunks.join(''));
  assert.ok(chunks.join('').startsWith(`oxbow: ${savepoint}: not a usable oxbow savepoint`), chunks.join(''));
});

test('--log-format json writes each log line as a JSON object; --log-level warn drops info lines; a bad level is a usage error', async () => {
  const run = async (args: string[]) => {
    const stderr = new PassThrough();
    const chunks: string[] = [];
    stderr.on('data', (c: Buffer) => chunks.push(c.toString()));
    const code = await main(['node', 'oxbow', ...args], { stderr, stdout: new PassThrough() });
    return { code, stderr: chunks.join('') };
  };
  const sample = `file://${resolve('fixtures/sample-archive')}`;
  const json = await run(['sessions', '--archive', sample, '--topic', 'listens', '--log-format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const logLines = json.stderr.slice(0, json.stderr.indexOf('summary:')).split('\n').filter((l) => l !== '');
  assert.ok(logLines.length > 0, json.stderr);
  for (const line of logLines) {
    const record = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof record.time, 'string');
    assert.ok(['debug', 'info', 'warn', 'error'].includes(record.level as string), line);
    assert.equal(typeof record.component, 'string');
    assert.equal(typeof record.message, 'string');
  }
  assert.ok(logLines.some((l) => (JSON.parse(l) as { message: string }).message === 'progress'), 'the end-of-run progress line is an info record');
  // Global options may also come before the command.
  const quiet = await run(['--log-level', 'warn', 'sessions', '--archive', sample, '--topic', 'listens']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, / info /);
  assert.match(quiet.stderr, /^summary:/m);
  const bad = await run(['sessions', '--archive', sample, '--log-level', 'loud']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--log-level.*loud/);
});
