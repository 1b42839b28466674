// `oxbow inspect --files` in-process over the sample archive: one line (or JSON object) per file, checked against the
// partition folders themselves; and what any command does when its reader closes the pipe early.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../../src/cli/main.js';

const sample = resolve('fixtures/sample-archive');

async function inspect(args: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  const chunks: string[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
  const code = await main(['node', 'oxbow', 'inspect', '--archive', `file://${sample}`, ...args], { stdout, stderr: new PassThrough() });
  return { code, stdout: chunks.join('') };
}

/** The archive files in a partition folder, by name, as the file system lists them. */
async function folderFiles(topic: string, partition: number): Promise<string[]> {
  return (await readdir(join(sample, 'topics', topic, `partition=${partition}`))).filter((n) => /\+\d+\+\d+\.(parquet|jsonl\.gz)$/.test(n)).sort();
}

test('--files lists every file of each partition of every topic, contiguous in offsets, adding up to the partition line', async () => {
  const run = await inspect(['--files']);
  assert.equal(run.code, 0, run.stdout);
  for (const [topic, partition] of [['listens', 0], ['listens', 1], ['profiles', 0], ['profiles', 1]] as const) {
    const block = run.stdout.split(/\n(?=\S+\/\d+: )/).find((b) => b.startsWith(`${topic}/${partition}:`))!;
    const header = /: (\d+) files, (\d+) records/.exec(block)!;
    const files = [...block.matchAll(/^ {2}FILE (\S+): offsets (\d+)\.\.(\d+), (\d+) records/gm)];
    assert.deepEqual(files.map((f) => f[1]).sort(), await folderFiles(topic, partition));
    assert.equal(files.length, Number(header[1]));
    assert.equal(files.reduce((n, f) => n + Number(f[4]), 0), Number(header[2]));
    for (let i = 1; i < files.length; i++) assert.equal(Number(files[i]![2]), Number(files[i - 1]![3]) + 1, `file ${i} of partition ${partition} starts where the previous ends`);
  }
  const plain = await inspect([]);
  assert.doesNotMatch(plain.stdout, /FILE /, 'without --files no file lines');
});

test('--files --json adds fileList to each partition object', async () => {
  const run = await inspect(['--files', '--json']);
  assert.equal(run.code, 0);
  for (const line of run.stdout.trim().split('\n')) {
    const c = JSON.parse(line) as { topic: string; partition: number; files: number; fileList: { name: string; records: number; startOffset: string }[] };
    assert.equal(c.fileList.length, c.files);
    assert.deepEqual(c.fileList.map((f) => f.name).sort(), await folderFiles(c.topic, c.partition));
    assert.equal(typeof c.fileList[0]!.startOffset, 'string');
  }
});

test('a reader that closes the pipe early (| head) ends the process quietly with status 141, no stack trace', async () => {
  // With a 1 ms gap every one of the sample's events is a session of its own: about 900 KB of output, many times what a
  // pipe holds, so the writer meets the closed pipe whatever the reader has taken before it closes.
  const child = spawn(process.execPath, [resolve('bin/oxbow.js'), 'sessions', '--archive', sample, '--topic', 'listens', '--aggregate', 'listening', '--gap', '1ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Read one chunk, then close our end, as `head -1` does.
  await new Promise<void>((resolveRead) => child.stdout.once('data', () => resolveRead()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolveExit) => child.on('close', (c) => resolveExit(c)));
  assert.equal(code, 141, stderr);
  assert.doesNotMatch(stderr, /Error|\n\s+at /);
});
