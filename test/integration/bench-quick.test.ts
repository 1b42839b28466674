// `npm run bench -- --quick` against the real services: every benchmark runs and reports finite figures, so the suite cannot rot (nothing about speed).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { modules } from '../../tools/bench/main.js';

function env(name: 'OXBOW_KAFKA_BROKERS' | 'OXBOW_WEBHDFS_URL'): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run \`npm test\` (it starts Kafka and HDFS), or \`npm run services -- start\` and export the lines it prints`);
  return value;
}

// About four times what it takes alone (about two minutes on a machine half as fast as the first ones; three beside the
// other tests), within the runner's 600 s a file.
test('npm run bench -- --quick: every benchmark reports finite figures and none fails', { timeout: 540_000 }, async () => {
  const services = { OXBOW_KAFKA_BROKERS: env('OXBOW_KAFKA_BROKERS'), OXBOW_WEBHDFS_URL: env('OXBOW_WEBHDFS_URL') };
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, [resolve('dist/tools/bench/main.js'), '--quick'], { env: { ...process.env, ...services }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
  assert.equal(run.code, 0, `the bench runner failed:\n${run.stderr.slice(-3000)}`);
  const lines = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { bench: string; id: string; value: number | null; notes?: string; ratio?: number; baseline?: { value: number } });
  for (const name of modules) {
    const rows = lines.filter((l) => l.bench === name);
    assert.ok(rows.length > 0, `benchmark ${name} printed no figure:\n${run.stderr.slice(-2000)}`);
    for (const row of rows) {
      assert.ok(typeof row.value === 'number' && Number.isFinite(row.value), `${row.id}: figure ${String(row.value)} (${row.notes ?? ''})`);
      if (row.baseline) assert.ok(Number.isFinite(row.baseline.value) && row.baseline.value > 0, `${row.id}: baseline ${row.baseline.value}`);
      if (row.ratio !== undefined) assert.ok(Number.isFinite(row.ratio), `${row.id}: ratio ${row.ratio}`);
    }
  }
  assert.match(run.stdout, /^\| benchmark \| figure \|/m, 'the summary table is missing');
});
