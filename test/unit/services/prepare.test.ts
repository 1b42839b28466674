// What each service's `prepare` lays out and runs: a fresh start wipes and formats, a restart (keepData) keeps everything.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { OxbowError } from '../../../src/errors.js';
import { servicesConfig } from '../../../tools/services/config.js';
import { hdfsService } from '../../../tools/services/hdfs.js';
import { kafkaService } from '../../../tools/services/kafka.js';
import type { PrepareContext } from '../../../tools/services/service.js';

const scratch = await mkdtemp(join(tmpdir(), 'oxbow-prepare-'));
after(() => rm(scratch, { recursive: true, force: true }));

/**
 * A service folder and stand-ins for `java` and the `keytool` beside it that only record how they were called (Kafka's
 * format step runs java; its TLS material comes from keytool).
 */
async function context(name: string, keepData: boolean): Promise<{ ctx: PrepareContext; calls: () => Promise<string>; keytoolCalls: () => Promise<string> }> {
  const dir = join(scratch, name);
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const callsFile = join(dir, 'java-calls.txt');
  const keytoolFile = join(dir, 'keytool-calls.txt');
  const java = join(bin, 'java');
  await writeFile(java, `#!/bin/sh\necho "$*" >> '${callsFile}'\n`);
  await writeFile(join(bin, 'keytool'), `#!/bin/sh\necho "$*" >> '${keytoolFile}'\n`);
  await chmod(java, 0o755);
  await chmod(join(bin, 'keytool'), 0o755);
  const config = { ...(await servicesConfig({ OXBOW_STATE_DIR: scratch })), java };
  const ctx: PrepareContext = { config, ports: config.ports, dir, classpath: '/jars/a.jar', logFile: join(dir, 'service.log'), keepData };
  return { ctx, calls: () => readFile(callsFile, 'utf8').catch(() => ''), keytoolCalls: () => readFile(keytoolFile, 'utf8').catch(() => '') };
}

test('Kafka, fresh: data wiped, server.properties written (retention checked every second from the start), storage formatted', async () => {
  const { ctx, calls } = await context('kafka-fresh', false);
  await mkdir(join(ctx.dir, 'data', 'old-topic-0'), { recursive: true });
  const args = await kafkaService.prepare(ctx);
  assert.deepEqual(args.slice(-2), ['kafka.Kafka', join(ctx.dir, 'server.properties')]);
  assert.match(await calls(), /kafka\.tools\.StorageTool format --standalone -t \S+ -c \S+server\.properties/);
  const properties = await readFile(join(ctx.dir, 'server.properties'), 'utf8');
  assert.match(properties, /^log\.retention\.check\.interval\.ms=1000$/m);
  assert.match(properties, /^log\.initial\.task\.delay\.ms=1000$/m);
  assert.match(properties, new RegExp(`^log\\.dirs=${join(ctx.dir, 'data')}$`, 'm'));
  assert.equal(existsSync(join(ctx.dir, 'data', 'old-topic-0')), false, 'the old data is gone');
});

test('Kafka, fresh: a SASL_SSL listener with a SCRAM user made at format, TLS material from keytool, a 0600 client file with the same password', async () => {
  const { ctx, calls, keytoolCalls } = await context('kafka-sasl', false);
  await kafkaService.prepare(ctx);
  const scram = /--add-scram SCRAM-SHA-512=\[name=oxbow,password=(\w+)\]/.exec(await calls());
  assert.ok(scram, await calls());
  const keytool = await keytoolCalls();
  for (const step of ['-genkeypair .*-alias ca .*-ext bc:c', '-gencert .*-ext SAN=ip:127.0.0.1,dns:localhost', '-importcert .*-alias broker']) assert.match(keytool, new RegExp(step));
  const properties = await readFile(join(ctx.dir, 'server.properties'), 'utf8');
  assert.match(properties, new RegExp(`^listeners=.*SASL_SSL://127\\.0\\.0\\.1:${ctx.ports.kafkaSaslSsl}$`, 'm'));
  assert.match(properties, /^listener\.name\.sasl_ssl\.sasl\.enabled\.mechanisms=SCRAM-SHA-512$/m);
  const client = join(ctx.dir, 'client-sasl-ssl.properties');
  assert.equal((await stat(client)).mode & 0o777, 0o600);
  const text = await readFile(client, 'utf8');
  assert.ok(text.includes(`username="oxbow" password="${scram[1]}";`));
  assert.match(text, new RegExp(`^ssl\\.ca\\.location=${join(ctx.dir, 'tls', 'ca.pem')}$`, 'm'));
  assert.deepEqual(kafkaService.env(ctx.ports, ctx.dir), {
    OXBOW_KAFKA_BROKERS: `127.0.0.1:${ctx.ports.kafka}`, OXBOW_KAFKA_SASL_SSL_BROKERS: `127.0.0.1:${ctx.ports.kafkaSaslSsl}`, OXBOW_KAFKA_SASL_SSL_CONFIG: client,
  });
});

test('Kafka, keepData: no format step, no wipe, server.properties untouched, same JVM arguments', async () => {
  const fresh = await context('kafka-fresh-args', false);
  const freshArgs = await kafkaService.prepare(fresh.ctx);
  const { ctx, calls } = await context('kafka-kept', true);
  await mkdir(join(ctx.dir, 'data', 'topic-0'), { recursive: true });
  await writeFile(join(ctx.dir, 'data', 'meta.properties'), 'cluster.id=kept\n');
  await writeFile(join(ctx.dir, 'data', 'topic-0', '00000000000000000000.log'), 'records');
  await writeFile(join(ctx.dir, 'server.properties'), '# as the killed broker had it\n');
  const args = await kafkaService.prepare(ctx);
  assert.equal(await calls(), '', 'java was not run: no StorageTool');
  assert.equal(await readFile(join(ctx.dir, 'data', 'topic-0', '00000000000000000000.log'), 'utf8'), 'records');
  assert.equal(await readFile(join(ctx.dir, 'data', 'meta.properties'), 'utf8'), 'cluster.id=kept\n');
  assert.equal(await readFile(join(ctx.dir, 'server.properties'), 'utf8'), '# as the killed broker had it\n');
  assert.deepEqual(args, freshArgs.map((arg) => arg.replaceAll(fresh.ctx.dir, ctx.dir)));
});

test('Kafka, keepData without formatted data: an error naming the missing file', async () => {
  const { ctx } = await context('kafka-nothing', true);
  await assert.rejects(kafkaService.prepare(ctx), (err: unknown) => err instanceof OxbowError && err.code === 'SERVICE_START' && /server\.properties is missing/.test(err.message));
  await writeFile(join(ctx.dir, 'server.properties'), '');
  await assert.rejects(kafkaService.prepare(ctx), (err: unknown) => err instanceof OxbowError && /meta\.properties is missing/.test(err.message));
});

test('HDFS: fresh passes -format and wipes data/ and tmp/; keepData keeps both and passes the same arguments minus -format', async () => {
  const fresh = await context('hdfs-fresh', false);
  await mkdir(join(fresh.ctx.dir, 'data', 'dfs', 'name-0-1'), { recursive: true });
  await mkdir(join(fresh.ctx.dir, 'tmp', 'jetty'), { recursive: true });
  const freshArgs = await hdfsService.prepare(fresh.ctx);
  assert.ok(freshArgs.includes('-format'));
  assert.equal(existsSync(join(fresh.ctx.dir, 'data', 'dfs', 'name-0-1')), false, 'the old namespace is gone');
  assert.equal(existsSync(join(fresh.ctx.dir, 'tmp', 'jetty')), false);
  // HTTPS beside HTTP: the policy, the NameNode's HTTPS port, and its keystore found through the conf folder.
  assert.ok(freshArgs.includes('dfs.http.policy=HTTP_AND_HTTPS'));
  assert.ok(freshArgs.includes(`dfs.namenode.https-address=127.0.0.1:${fresh.ctx.ports.webhdfsHttps}`));
  assert.ok(freshArgs[freshArgs.indexOf('-cp') + 1]!.startsWith(`${join(fresh.ctx.dir, 'conf')}:`));
  assert.match(await readFile(join(fresh.ctx.dir, 'conf', 'ssl-server.xml'), 'utf8'), new RegExp(`<name>ssl.server.keystore.location</name><value>${join(fresh.ctx.dir, 'tls', 'hdfs.p12')}</value>`));
  assert.match(await fresh.keytoolCalls(), /-gencert .*-ext SAN=ip:127.0.0.1,dns:localhost/);

  const kept = await context('hdfs-kept', true);
  await mkdir(join(kept.ctx.dir, 'data', 'dfs', 'data', 'data1'), { recursive: true });
  await writeFile(join(kept.ctx.dir, 'data', 'dfs', 'data', 'data1', 'blk_1'), 'block');
  await mkdir(join(kept.ctx.dir, 'tmp'), { recursive: true });
  await writeFile(join(kept.ctx.dir, 'tmp', 'keep'), 'tmp');
  const keptArgs = await hdfsService.prepare(kept.ctx);
  assert.ok(!keptArgs.includes('-format'));
  assert.deepEqual(keptArgs, freshArgs.filter((arg) => arg !== '-format').map((arg) => arg.replaceAll(fresh.ctx.dir, kept.ctx.dir)));
  assert.equal(await readFile(join(kept.ctx.dir, 'data', 'dfs', 'data', 'data1', 'blk_1'), 'utf8'), 'block');
  assert.equal(await readFile(join(kept.ctx.dir, 'tmp', 'keep'), 'utf8'), 'tmp');
  assert.equal(await kept.calls(), '', 'HDFS prepare never runs java itself');
});

test('HDFS, keepData without a namespace: an error naming the missing folder', async () => {
  const { ctx } = await context('hdfs-nothing', true);
  await assert.rejects(hdfsService.prepare(ctx), (err: unknown) => err instanceof OxbowError && err.code === 'SERVICE_START' && /data\/dfs is missing/.test(err.message));
});
