// Service configuration from the environment: defaults, port variables, free ports, and clear errors for bad values.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.js';
import { DEFAULT_PORTS, freeLoopbackPorts, repoRootFromHere, servicesConfig } from '../../../tools/services/config.js';

test('defaults: the well-known ports and <repo>/.oxbow/services', async () => {
  const config = await servicesConfig({});
  assert.deepEqual(config.ports, DEFAULT_PORTS);
  assert.equal(config.stateDir, join(repoRootFromHere(), '.oxbow', 'services'));
  assert.equal(config.startTimeoutMs, 180_000);
});

test('the repository root is the folder holding package.json and the service poms', async () => {
  const { existsSync } = await import('node:fs');
  const root = repoRootFromHere();
  assert.ok(existsSync(join(root, 'package.json')));
  assert.ok(existsSync(join(root, 'tools', 'services', 'maven', 'kafka', 'pom.xml')));
  assert.ok(existsSync(join(root, 'tools', 'services', 'maven', 'hdfs', 'pom.xml')));
});

test('port variables, state folder and timeout come from the environment', async () => {
  const config = await servicesConfig({
    OXBOW_KAFKA_PORT: '19092',
    OXBOW_KAFKA_CONTROLLER_PORT: '19093',
    OXBOW_KAFKA_SASL_SSL_PORT: '19094',
    OXBOW_NAMENODE_PORT: '18020',
    OXBOW_WEBHDFS_PORT: '19870',
    OXBOW_WEBHDFS_HTTPS_PORT: '19871',
    OXBOW_STATE_DIR: '/tmp/oxbow-state',
    OXBOW_SERVICES_TIMEOUT: '30',
  });
  assert.deepEqual(config.ports, { kafka: 19092, kafkaController: 19093, kafkaSaslSsl: 19094, namenode: 18020, webhdfs: 19870, webhdfsHttps: 19871 });
  assert.equal(config.stateDir, '/tmp/oxbow-state');
  assert.equal(config.startTimeoutMs, 30_000);
});

test('OXBOW_SERVICES_PORTS=auto picks six distinct ports, but an explicit port variable wins', async () => {
  const config = await servicesConfig({ OXBOW_SERVICES_PORTS: 'auto', OXBOW_KAFKA_PORT: '19092' });
  assert.equal(config.ports.kafka, 19092);
  const ports = Object.values(config.ports);
  assert.equal(new Set(ports).size, 6);
  for (const port of ports) assert.ok(port > 0 && port < 65536);
});

test('auto ports are distinct on every pick: each listener stays open until all are chosen', async () => {
  for (let round = 0; round < 200; round++) {
    const ports = await freeLoopbackPorts(4);
    assert.equal(new Set(ports).size, 4, `round ${round}: ${ports.join(', ')}`);
  }
});

test('a bad port names the variable', async () => {
  await assert.rejects(servicesConfig({ OXBOW_WEBHDFS_PORT: 'http' }), (err: unknown) => err instanceof UsageError && /OXBOW_WEBHDFS_PORT=http/.test(err.message));
  await assert.rejects(servicesConfig({ OXBOW_KAFKA_PORT: '70000' }), (err: unknown) => err instanceof UsageError && /OXBOW_KAFKA_PORT=70000/.test(err.message));
});

test('two services on one port is refused, naming both variables', async () => {
  await assert.rejects(
    servicesConfig({ OXBOW_KAFKA_PORT: '9870' }),
    (err: unknown) => err instanceof UsageError && /OXBOW_KAFKA_PORT/.test(err.message) && /OXBOW_WEBHDFS_PORT/.test(err.message) && /9870/.test(err.message),
  );
});

test('an unknown OXBOW_SERVICES_PORTS mode and a bad timeout are refused', async () => {
  await assert.rejects(servicesConfig({ OXBOW_SERVICES_PORTS: 'random' }), UsageError);
  await assert.rejects(servicesConfig({ OXBOW_SERVICES_TIMEOUT: '-1' }), (err: unknown) => err instanceof UsageError && /OXBOW_SERVICES_TIMEOUT/.test(err.message));
});
