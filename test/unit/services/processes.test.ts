// Service processes: recognised by pid and command line, stopped as a whole process group, logs read from the end.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAlive, isOurProcess, readPid, spawnService, stopProcessGroup, tailFile } from '../../../tools/services/processes.js';


test('a spawned service is ours by its marker, and stop ends it and the processes it forked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-proc-'));
  try {
    const marker = `${dir}/`;
    const logFile = join(dir, 'svc.log');
    const pidFile = join(dir, 'svc.pid');
    // The service forks a grandchild (as a JVM may) and prints its pid once both run.
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log('grandchild ' + g.pid);
      setInterval(() => {}, 1000);`;
    const spawned = await spawnService(process.execPath, ['-e', script, `${marker}marker`], { cwd: dir, logFile, pidFile });
    assert.equal(await readPid(pidFile), spawned.pid);
    assert.equal(isOurProcess(spawned.pid, marker), true);
    assert.equal(isOurProcess(spawned.pid, '/some/other/checkout/'), false, 'another state folder is not ours');
    assert.equal(isOurProcess(process.pid, marker), false);

    let grandchild: number | undefined;
    while (grandchild === undefined) {
      const match = /grandchild (\d+)/.exec(await readFile(logFile, 'utf8'));
      if (match?.[1] !== undefined) grandchild = Number(match[1]);
      else await new Promise((r) => setImmediate(r));
    }
    assert.equal(isAlive(grandchild), true);

    const how = await stopProcessGroup(spawned.pid, () => isOurProcess(spawned.pid, marker), 10_000);
    assert.equal(how, 'terminated');
    assert.equal(await spawned.exited, null, 'ended by the signal, not by itself');
    assert.equal(isOurProcess(spawned.pid, marker), false);
    assert.equal(isAlive(grandchild), false, 'the forked process went with the group');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing or garbled pid file reads as no pid', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-proc-'));
  try {
    assert.equal(await readPid(join(dir, 'none.pid')), undefined);
    await writeFile(join(dir, 'bad.pid'), 'abc\n');
    assert.equal(await readPid(join(dir, 'bad.pid')), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tailFile gives the last non-empty lines, also of a log larger than it reads', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-proc-'));
  try {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    await writeFile(join(dir, 'big.log'), lines.join('\n') + '\n\n');
    assert.equal(await tailFile(join(dir, 'big.log'), 3), 'line 19997\nline 19998\nline 19999');
    assert.equal(await tailFile(join(dir, 'missing.log'), 3), '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
