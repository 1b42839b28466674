// Restart, pause and resume on a stand-in service (a small Node HTTP server, no JVM) run through the real life cycle.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, test } from 'node:test';
import { OxbowError } from '../../../src/errors.js';
import { freeLoopbackPort, servicesConfig, type ServicesConfig } from '../../../tools/services/config.js';
import { pause, restart, resume } from '../../../tools/services/faults.js';
import { isAlive } from '../../../tools/services/processes.js';
import { serviceStatus, startService, stopService, type Probe, type ServiceDefinition } from '../../../tools/services/service.js';

const scratch = await mkdtemp(join(tmpdir(), 'oxbow-faults-'));

// Like a restarted minicluster: it answers at once, but serves its data only a moment later (the block report).
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const [dataFile, port, termFile] = process.argv.slice(1);
const started = Date.now();
process.on('SIGTERM', () => { fs.writeFileSync(termFile, 'SIGTERM'); process.exit(0); });
http.createServer((req, res) => {
  if (req.url !== '/data') return res.end('ok');
  if (Date.now() - started < 400) { res.statusCode = 503; return res.end(); }
  res.end(fs.readFileSync(dataFile, 'utf8'));
}).listen(Number(port), '127.0.0.1');`;

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(500) });
  return { status: response.status, text: await response.text() };
}

async function ask(port: number, path: string): Promise<Probe> {
  try {
    const { status } = await get(port, path);
    return status === 200 ? { ok: true } : { ok: false, reason: `${path} answered ${status}` };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

let seeds = 0;
const fake: ServiceDefinition = {
  name: 'fake',
  title: 'Fake service',
  pom: 'kafka',
  ports: (ports) => [{ port: ports.kafka, what: 'Fake service', variable: 'OXBOW_KAFKA_PORT' }],
  async prepare(ctx) {
    const dataFile = join(ctx.dir, 'data.txt');
    if (!ctx.keepData) await writeFile(dataFile, `data of the start at ${Date.now()} ${Math.random()}`);
    return ['-e', SERVER, dataFile, String(ctx.ports.kafka), join(ctx.dir, 'terminated')];
  },
  probe: (ports) => ask(ports.kafka, '/'),
  probeKeptData: (ports) => ask(ports.kafka, '/data'),
  async seed() {
    seeds += 1;
  },
  env: (ports) => ({ FAKE_URL: `http://127.0.0.1:${ports.kafka}` }),
};

/** The stand-in runs on node; a stand-in `mvn` hands out a classpath nobody reads, so no Maven runs. */
async function fakeConfig(name: string): Promise<ServicesConfig> {
  const mvn = join(scratch, 'fake-mvn');
  await writeFile(mvn, `#!/bin/sh\nfor arg in "$@"; do case "$arg" in -Dmdep.outputFile=*) printf '%s' "$0" > "\${arg#-Dmdep.outputFile=}";; esac; done\n`);
  await chmod(mvn, 0o755);
  const config = await servicesConfig({ OXBOW_STATE_DIR: join(scratch, name), OXBOW_SERVICES_PORTS: 'auto', OXBOW_SERVICES_TIMEOUT: '20' });
  return { ...config, java: process.execPath, mvn, stopTimeoutMs: 5000 };
}

const configs: ServicesConfig[] = [];
async function started(name: string): Promise<{ config: ServicesConfig; pid: number; dir: string }> {
  const config = await fakeConfig(name);
  configs.push(config);
  const { status } = await startService(config, fake);
  assert.equal(status.state, 'running');
  return { config, pid: status.pid as number, dir: join(config.stateDir, 'fake') };
}

after(async () => {
  for (const config of configs) await stopService(config, fake).catch(() => undefined);
  await rm(scratch, { recursive: true, force: true });
});

test('restart kills the group (no SIGTERM), keeps data and the recorded ports, and returns once the data is served', async () => {
  const { config, pid, dir } = await started('restart');
  assert.equal(seeds, 1, 'a fresh start leaves its seed');
  const data = await readFile(join(dir, 'data.txt'), 'utf8');
  // The environment now names other ports: the restart must stay on the ones the instance had.
  const elsewhere: ServicesConfig = { ...config, ports: { ...config.ports, kafka: await freeLoopbackPort() } };

  const result = await restart(elsewhere, fake);
  assert.equal(result.killed, true);
  assert.equal(isAlive(pid), false, 'the old process is gone');
  assert.notEqual(result.status.pid, pid);
  assert.equal(result.status.state, 'running');
  assert.deepEqual(result.status.ports, config.ports);
  assert.ok(result.durationMs >= 400, `waited for the kept data (${result.durationMs} ms)`);
  assert.deepEqual(await get(config.ports.kafka, '/data'), { status: 200, text: data }, 'the kept data, served at once');
  assert.equal(existsSync(join(dir, 'terminated')), false, 'SIGKILL: the process had no chance to clean up');
  assert.match(await readFile(join(dir, 'fake.log'), 'utf8'), /restart keeping data/);

  // A start afterwards finds it running; a fresh start (after stop) begins empty again.
  assert.equal((await startService(config, fake)).started, false);
  await stopService(config, fake);
  await startService(config, fake);
  assert.notEqual(await readFile(join(dir, 'data.txt'), 'utf8'), data);
});

test('a service that crashed (record still there) is started again on its data, nothing to kill', async () => {
  const { config, pid, dir } = await started('crashed');
  const data = await readFile(join(dir, 'data.txt'), 'utf8');
  process.kill(-pid, 'SIGKILL');
  while (isAlive(pid)) await delay(20);
  const result = await restart(config, fake);
  assert.equal(result.killed, false);
  assert.deepEqual(await get(config.ports.kafka, '/data'), { status: 200, text: data });
});

test('pause stops the whole group until resume; status says paused; resume twice is harmless', async () => {
  const { config, pid } = await started('pause');
  assert.deepEqual(await pause(config, fake), { pid });
  assert.equal((await serviceStatus(config, fake)).state, 'paused');
  await assert.rejects(get(config.ports.kafka, '/'), 'a paused service answers nothing');
  assert.deepEqual(await resume(config, fake), { pid, wasPaused: true });
  assert.deepEqual(await get(config.ports.kafka, '/'), { status: 200, text: 'ok' });
  assert.equal((await serviceStatus(config, fake)).state, 'running');
  assert.deepEqual(await resume(config, fake), { pid, wasPaused: false });
});

test('a start resumes a paused service; a stop ends a paused one with SIGTERM, not after the kill timeout', async () => {
  const { config, pid, dir } = await started('paused-start-stop');
  await pause(config, fake);
  const again = await startService(config, fake);
  assert.equal(again.started, false);
  assert.equal(again.status.state, 'running');
  assert.equal(again.status.pid, pid);
  await pause(config, fake);
  assert.deepEqual(await stopService(config, fake), { stopped: true, how: 'terminated' });
  assert.equal(await readFile(join(dir, 'terminated'), 'utf8'), 'SIGTERM');
});

test('pause and restart of a stopped service fail naming it; resume of it is harmless', async () => {
  const config = await fakeConfig('stopped');
  const notRunning = (err: unknown) => err instanceof OxbowError && err.code === 'SERVICE_NOT_RUNNING' && /cannot \w+ fake: Fake service is not running/.test(err.message);
  await assert.rejects(pause(config, fake), notRunning);
  await assert.rejects(restart(config, fake), notRunning);
  assert.deepEqual(await resume(config, fake), { wasPaused: false });
});

