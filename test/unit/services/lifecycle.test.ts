// The service life cycle with real JVMs in a scratch state folder on free ports: idempotent start, truthful status, exact stop, clear failures.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OxbowError } from '../../../src/errors.js';
import { servicesConfig } from '../../../tools/services/config.js';
import { kafkaService } from '../../../tools/services/kafka.js';
import { assertPortsFree } from '../../../tools/services/ports.js';
import { isAlive } from '../../../tools/services/processes.js';
import { startService } from '../../../tools/services/service.js';
import { servicesStatus, startServices, stopServices } from '../../../tools/services/services.js';

let stateRoot = '';

before(async () => {
  stateRoot = await mkdtemp(join(tmpdir(), 'oxbow-services-'));
});

async function cleanUp(): Promise<void> {
  for (const name of ['lifecycle', 'timeout', 'port']) {
    await stopServices(await servicesConfig({ OXBOW_STATE_DIR: join(stateRoot, name) })).catch(() => undefined);
  }
  await rm(stateRoot, { recursive: true, force: true });
}

// Whatever a failed assertion left running goes too.
after(cleanUp);

// The JVMs run in their own process groups, so an interrupted test run would orphan them: stop them first.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
}


test('start twice (at once, then again) starts each service once; status tells the truth after stop; stop frees the ports', { timeout: 300_000 }, async () => {
  const config = await servicesConfig({ OXBOW_STATE_DIR: join(stateRoot, 'lifecycle'), OXBOW_SERVICES_PORTS: 'auto' });
  // Two starts at once: the start lock lets exactly one launch each service.
  const [first, concurrent] = await Promise.all([startServices(config), startServices(config)]);
  assert.deepEqual([...first.started, ...concurrent.started].sort(), ['hdfs', 'kafka'], 'each service started exactly once');
  assert.deepEqual(concurrent.results.map((r) => r.status.pid), first.results.map((r) => r.status.pid));
  assert.deepEqual(first.env, {
    OXBOW_KAFKA_BROKERS: `127.0.0.1:${config.ports.kafka}`,
    OXBOW_KAFKA_SASL_SSL_BROKERS: `127.0.0.1:${config.ports.kafkaSaslSsl}`,
    OXBOW_KAFKA_SASL_SSL_CONFIG: join(config.stateDir, 'kafka', 'client-sasl-ssl.properties'),
    OXBOW_WEBHDFS_URL: `http://127.0.0.1:${config.ports.webhdfs}`,
    OXBOW_WEBHDFS_HTTPS_URL: `https://127.0.0.1:${config.ports.webhdfsHttps}`,
    OXBOW_WEBHDFS_CA: join(config.stateDir, 'hdfs', 'tls', 'ca.pem'),
  });
  const pids = first.results.map((r) => r.status.pid);
  for (const pid of pids) assert.ok(pid !== undefined && isAlive(pid));

  const second = await startServices(config);
  assert.deepEqual(second.started, [], 'the second start found both running');
  assert.deepEqual(second.results.map((r) => r.status.pid), pids, 'and started no new process');

  const running = await servicesStatus(config);
  assert.deepEqual(running.statuses.map((s) => s.state), ['running', 'running']);
  assert.deepEqual(running.env, first.env);

  const stopped = await stopServices(config);
  assert.deepEqual(stopped, [
    { name: 'kafka', stopped: true },
    { name: 'hdfs', stopped: true },
  ]);
  for (const pid of pids) assert.equal(isAlive(pid as number), false, `pid ${pid} is gone after stop`);
  const afterStop = await servicesStatus(config);
  assert.deepEqual(afterStop.statuses.map((s) => s.state), ['stopped', 'stopped']);
  assert.deepEqual(afterStop.env, {}, 'no address lines for stopped services');
  await assertPortsFree([
    { port: config.ports.kafka, what: 'Kafka broker', variable: 'OXBOW_KAFKA_PORT' },
    { port: config.ports.webhdfs, what: 'WebHDFS', variable: 'OXBOW_WEBHDFS_PORT' },
  ]);
  assert.deepEqual(await stopServices(config), [
    { name: 'kafka', stopped: false },
    { name: 'hdfs', stopped: false },
  ]);
});

test('a service that does not answer in time fails naming itself, its log and its last lines, and is stopped', { timeout: 120_000 }, async () => {
  const config = await servicesConfig({ OXBOW_STATE_DIR: join(stateRoot, 'timeout'), OXBOW_SERVICES_PORTS: 'auto', OXBOW_SERVICES_TIMEOUT: '0.2' });
  await assert.rejects(startService(config, kafkaService), (err: unknown) => {
    assert.ok(err instanceof OxbowError);
    assert.equal(err.code, 'SERVICE_START');
    assert.match(err.message, /^Kafka broker did not answer within/);
    assert.ok(err.message.includes(join(config.stateDir, 'kafka', 'kafka.log')), err.message);
    assert.match(err.message, /last lines:\n./);
    return true;
  });
  assert.deepEqual((await servicesStatus(config)).statuses.map((s) => s.state), ['stopped', 'stopped']);
});

test('a port already taken fails the start with that port, and the other service is not left running', { timeout: 300_000 }, async () => {
  const config = await servicesConfig({ OXBOW_STATE_DIR: join(stateRoot, 'port'), OXBOW_SERVICES_PORTS: 'auto' });
  const holder: Server = createServer();
  await new Promise<void>((resolveListen) => holder.listen(config.ports.kafka, '127.0.0.1', resolveListen));
  try {
    await assert.rejects(
      startServices(config),
      (err: unknown) => err instanceof OxbowError && err.code === 'PORT_IN_USE' && err.message.includes(`port ${config.ports.kafka} `),
    );
  } finally {
    await new Promise((resolveClose) => holder.close(resolveClose));
  }
  assert.deepEqual((await servicesStatus(config)).statuses.map((s) => s.state), ['stopped', 'stopped']);
});
