// A single-node Kafka 4 broker in KRaft mode (broker and controller in one JVM) on loopback, from org.apache.kafka:kafka_2.13.

import { randomBytes } from 'node:crypto';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { OxbowError } from '../../src/errors.js';
import type { PrepareContext, Probe, ServiceDefinition } from './service.js';
import type { ServicePorts } from './config.js';
import { ensureServerTls, runLogged, type ServerTls } from './tls.js';

/** The SCRAM user the SASL_SSL listener knows (its password is made at each fresh start). */
export const SASL_USER = 'oxbow';

function serverProperties(ports: ServicePorts, dataDir: string, tls: ServerTls): string {
  const sasl = 'listener.name.sasl_ssl';
  return [
    '# Written by `npm run services -- start`; rewritten on every start (a restart keeps it).',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${ports.kafkaController}`,
    `listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.kafkaController},SASL_SSL://127.0.0.1:${ports.kafkaSaslSsl}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka},SASL_SSL://127.0.0.1:${ports.kafkaSaslSsl}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    // A secured listener beside the plaintext one, as production clusters have: SCRAM-SHA-512 over TLS.
    `${sasl}.sasl.enabled.mechanisms=SCRAM-SHA-512`,
    `${sasl}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `${sasl}.ssl.keystore.type=PKCS12`,
    `${sasl}.ssl.keystore.location=${tls.keystore}`,
    `${sasl}.ssl.keystore.password=${tls.password}`,
    `${sasl}.ssl.key.password=${tls.password}`,
    `log.dirs=${dataDir}`,
    // One node: the internal topics cannot have three replicas, or consumer groups never find a coordinator.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Fewer internal partitions: the first consumer group comes up faster on a 2-core machine.
    'offsets.topic.num.partitions=8',
    'transaction.state.log.num.partitions=8',
    // Tests start groups often; the default 3 s wait before the first rebalance only slows them.
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=1',
    // Retention is checked every 5 minutes by default, and first 30 s after the broker starts: a test that sets a
    // topic's retention.ms (with small segment.ms / segment.bytes, so segments roll) sees the oldest records
    // really deleted within seconds, also right after a start or restart.
    'log.retention.check.interval.ms=1000',
    'log.initial.task.delay.ms=1000',
    '',
  ].join('\n');
}

// Console only: the JVM's stdout is the service log under the state folder.
const LOG4J2 = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = info',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.kafkaRequest.name = kafka.request.logger',
  'logger.kafkaRequest.level = warn',
  'logger.stateChange.name = state.change.logger',
  'logger.stateChange.level = warn',
  '',
].join('\n');

/** A KRaft cluster id: 16 random bytes in URL-safe base64, never starting with '-' (Kafka's own rule for its ids). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jvmArgs(ctx: PrepareContext): string[] {
  return ['-Xms256m', '-Xmx768m', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(ctx.dir, 'log4j2.properties')}`, '-cp', ctx.classpath];
}

/** `kafka.tools.StorageTool format --standalone`, with the SASL_SSL listener's SCRAM user and its password. */
async function formatStorage(ctx: PrepareContext, propertiesFile: string, saslPassword: string): Promise<void> {
  const scram = `SCRAM-SHA-512=[name=${SASL_USER},password=${saslPassword}]`;
  await runLogged(ctx, ctx.config.java, [...jvmArgs(ctx), 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId(), '-c', propertiesFile, '--add-scram', scram], 'Kafka storage format');
}

/** The client properties file for the SASL_SSL listener (what `oxbow --kafka-config` reads); 0600, it holds the password. */
export function saslClientConfigFile(serviceDir: string): string {
  return join(serviceDir, 'client-sasl-ssl.properties');
}

function saslClientConfig(tls: ServerTls, password: string): string {
  return [
    '# Written by `npm run services -- start` at each fresh start: the SASL_SSL listener of this broker',
    '# (address in OXBOW_KAFKA_SASL_SSL_BROKERS). Use it with oxbow --kafka-config.',
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${SASL_USER}" password="${password}";`,
    `ssl.ca.location=${tls.caPem}`,
    '',
  ].join('\n');
}

function probeAdmin(broker: string) {
  return new Kafka({
    clientId: 'oxbow-services-probe',
    brokers: [broker],
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
}

async function probe(ports: ServicePorts): Promise<Probe> {
  const broker = `127.0.0.1:${ports.kafka}`;
  const admin = probeAdmin(broker);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return { ok: false, reason: `${broker} knows no brokers yet` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `${broker}: ${(err as Error).message}` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * After a restart the broker answers metadata requests before it leads its partitions again (the controller
 * first fences, then unfences it): until every partition of every topic, internal ones included, has a leader,
 * a produce or a consumer group would fail with NOT_LEADER / LEADER_NOT_AVAILABLE. One metadata request.
 */
async function probeLeaders(ports: ServicePorts): Promise<Probe> {
  const broker = `127.0.0.1:${ports.kafka}`;
  const admin = probeAdmin(broker);
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (topics.length === 0) return { ok: true };
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const leaderless = metadata.flatMap((t) =>
      t.partitions.filter((p) => p.partitionErrorCode !== 0 || p.leader < 0).map((p) => `${t.name}-${p.partitionId}`),
    );
    if (leaderless.length > 0) return { ok: false, reason: `${broker}: no leader yet for ${leaderless.length} partitions (${leaderless.slice(0, 3).join(', ')}...)` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `${broker}: ${(err as Error).message}` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A restart runs the broker on what the killed one left: its server.properties and its formatted log dirs. */
async function assertKeptState(dataDir: string, propertiesFile: string): Promise<void> {
  for (const file of [propertiesFile, join(dataDir, 'meta.properties')]) {
    try {
      await access(file);
    } catch {
      throw new OxbowError('SERVICE_START', `Kafka broker: nothing to restart with, ${file} is missing; start it afresh (npm run services -- start)`);
    }
  }
}

export const kafkaService: ServiceDefinition = {
  name: 'kafka',
  title: 'Kafka broker',
  pom: 'kafka',
  ports: (ports) => [
    { port: ports.kafka, what: 'Kafka broker', variable: 'OXBOW_KAFKA_PORT' },
    { port: ports.kafkaController, what: 'Kafka KRaft controller', variable: 'OXBOW_KAFKA_CONTROLLER_PORT' },
    { port: ports.kafkaSaslSsl, what: 'Kafka SASL_SSL listener', variable: 'OXBOW_KAFKA_SASL_SSL_PORT' },
  ],
  async prepare(ctx) {
    const dataDir = join(ctx.dir, 'data');
    const propertiesFile = join(ctx.dir, 'server.properties');
    if (ctx.keepData) {
      await assertKeptState(dataDir, propertiesFile);
    } else {
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
      const tls = await ensureServerTls(ctx, 'broker');
      await writeFile(propertiesFile, serverProperties(ctx.ports, dataDir, tls), { mode: 0o600 });
      await writeFile(join(ctx.dir, 'log4j2.properties'), LOG4J2);
      const saslPassword = randomBytes(12).toString('hex');
      await formatStorage(ctx, propertiesFile, saslPassword);
      await writeFile(saslClientConfigFile(ctx.dir), saslClientConfig(tls, saslPassword), { mode: 0o600 });
    }
    return [...jvmArgs(ctx), 'kafka.Kafka', propertiesFile];
  },
  probe,
  probeKeptData: probeLeaders,
  env: (ports, dir) => ({
    OXBOW_KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    OXBOW_KAFKA_SASL_SSL_BROKERS: `127.0.0.1:${ports.kafkaSaslSsl}`,
    OXBOW_KAFKA_SASL_SSL_CONFIG: saslClientConfigFile(dir),
  }),
};
