// oxbow against the broker's SASL_SSL listener (SCRAM-SHA-512 over TLS, started by `npm run services`): the same
// archive and sessions as over plaintext, compared with Kafka's log and an offline pass; each bad configuration fails
// fast with its exit code; the password appears in no output.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { MusicEvent } from '../../src/gen/music-events.js';
import { assertArchiveEqualsLog, brokers, kafkaLog, readBack, runCli, startWithMetrics, type CliRun, uniqueName } from './archive-support.js';
import { offlineSessions, publishedSessions } from './sessions-support.js';

const run = promisify(execFile);

function saslListener(): { brokers: string; config: string } {
  const b = process.env.OXBOW_KAFKA_SASL_SSL_BROKERS;
  const config = process.env.OXBOW_KAFKA_SASL_SSL_CONFIG;
  assert.ok(b && config, 'OXBOW_KAFKA_SASL_SSL_BROKERS and OXBOW_KAFKA_SASL_SSL_CONFIG are not set: run npm test (or npm run services -- start and export what it prints)');
  return { brokers: b, config };
}

/** The password in the services' client file: the secret no output may contain. */
async function secretOf(config: string): Promise<string> {
  const m = /password="([^"]+)"/.exec(await readFile(config, 'utf8'));
  assert.ok(m, `no password in ${config}`);
  return m[1]!;
}

/** Every file under `dir`, read as bytes: a secret written anywhere (checkpoints, outputs, pages) shows up here. */
async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push({ path: join(entry.parentPath, entry.name), text: (await readFile(join(entry.parentPath, entry.name))).toString('latin1') });
  }
  return out;
}

function assertNoSecret(secret: string, runs: CliRun[], files: { path: string; text: string }[]): void {
  for (const r of runs) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `the password is in a command's output:\n${r.stderr}`);
  for (const f of files) assert.ok(!f.text.includes(secret), `the password is in ${f.path}`);
}

const events = (log: Awaited<ReturnType<typeof kafkaLog>>) => [...log.values()].flat().map((r) => JSON.parse(r.value!) as MusicEvent);

test('archive and sessions (archive + live, --stop-at-live) over SASL_SSL give what plaintext gives, Kafka\'s log and the offline sessions; the password is in no output', { timeout: 240_000 }, async () => {
  const sasl = saslListener();
  const secret = await secretOf(sasl.config);
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-security-'));
  try {
    const topic = uniqueName('oxbow-it-sasl');
    const secured = ['--brokers', sasl.brokers, '--kafka-config', sasl.config];
    const runs: CliRun[] = [];
    const cli = async (args: string[]) => {
      const r = await runCli([...args, '--log-level', 'debug']);
      runs.push(r);
      assert.equal(r.code, 0, `oxbow ${args[0]}: ${r.stderr}`);
      return r;
    };
    await cli(['produce', ...secured, '--topic', topic, '--partitions', '2', '--users', '150', '--duration', '6h', '--limit', '2000']);
    const overSasl = `file://${join(dir, 'sasl')}`;
    const overPlain = `file://${join(dir, 'plain')}`;
    await cli(['archive', ...secured, '--topic', topic, '--archive', overSasl, '--until-caught-up', '--rotate-records', '500']);
    await cli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', overPlain, '--until-caught-up', '--rotate-records', '500']);
    const archivedLog = await kafkaLog(topic);
    assertArchiveEqualsLog(await readBack(overSasl, topic, [0, 1]), archivedLog, 'the archive made over SASL_SSL');
    assertArchiveEqualsLog(await readBack(overPlain, topic, [0, 1]), archivedLog, 'the archive made over plaintext');
    await cli(['inspect', '--archive', overSasl, ...secured, '--topic', topic, '--html', join(dir, 'page.html')]);

    // A live tail after the archives' end, read from Kafka over each listener.
    await cli(['produce', ...secured, '--topic', topic, '--users', '400', '--start', String(Date.now()), '--duration', '20m', '--seed', '3', '--limit', '300']);
    await cli(['sessions', '--archive', overSasl, ...secured, '--topic', topic, '--aggregate', 'listening', '--stop-at-live', '--output', `file://${join(dir, 'out-sasl')}`]);
    await cli(['sessions', '--archive', overPlain, '--brokers', brokers(), '--topic', topic, '--aggregate', 'listening', '--stop-at-live', '--output', `file://${join(dir, 'out-plain')}`]);
    // The same with the broker's host name not checked (a setting that reaches the Kafka reader's thread too).
    // Written beside `dir`, not in it: every file in `dir` must be free of the password, and this one holds it.
    const unchecked = `${dir}-client-no-hostname.properties`;
    await writeFile(unchecked, `${await readFile(sasl.config, 'utf8')}\nssl.endpoint.identification.algorithm=\n`);
    await cli(['sessions', '--archive', overSasl, '--brokers', sasl.brokers, '--kafka-config', unchecked, '--topic', topic, '--aggregate', 'listening', '--stop-at-live', '--output', `file://${join(dir, 'out-unchecked')}`]);
    const expected = offlineSessions(events(await kafkaLog(topic)), 30 * 60_000, 'listening');
    assert.ok(expected.length > 0);
    assert.deepEqual(await publishedSessions(join(dir, 'out-sasl')), expected, 'sessions over SASL_SSL = the offline pass');
    assert.deepEqual(await publishedSessions(join(dir, 'out-unchecked')), expected, 'sessions over SASL_SSL, host name not checked = the offline pass');
    assert.deepEqual(await publishedSessions(join(dir, 'out-plain')), expected, 'sessions over plaintext = the offline pass');
    assert.ok(runs.some((r) => r.stderr.includes('SCRAM-SHA-512 as user oxbow')), 'the security in use is logged, by name');

    // A live run with metrics and checkpoints, stopped by SIGTERM: its metrics page and its savepoint hold no secret either.
    const live = startWithMetrics(['sessions', '--archive', overSasl, ...secured, '--topic', topic, '--aggregate', 'listening',
      '--output', `file://${join(dir, 'out-live')}`, '--checkpoint-dir', `file://${join(dir, 'checkpoints')}`, '--log-level', 'debug']);
    const url = await live.url;
    let page = '';
    for (let i = 0; i < 100 && !/^oxbow_sessions_records_total/m.test(page); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      page = await (await fetch(url)).text();
    }
    assert.match(page, /^oxbow_sessions_records_total/m, 'a metrics page with the run\'s figures');
    live.run.child.kill('SIGTERM');
    const stopped = await live.run.done;
    runs.push(stopped);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /savepoint written/);
    assertNoSecret(secret, runs, [...await filesUnder(dir), { path: 'the metrics page', text: page }]);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}-client-no-hostname.properties`, { force: true });
  }
});

/** A self-signed certificate made with keytool, as PEM, and its PKCS12 store (for a TLS server). */
async function certificate(dir: string, name: string, validity: string[]): Promise<{ pem: string; p12: string }> {
  const p12 = join(dir, `${name}.p12`);
  const pem = join(dir, `${name}.pem`);
  const store = ['-keystore', p12, '-storetype', 'PKCS12', '-storepass', 'changeit'];
  await run('keytool', ['-genkeypair', ...store, '-alias', name, '-dname', `CN=${name}`, '-keyalg', 'RSA', '-keysize', '2048', '-ext', 'SAN=ip:127.0.0.1', ...validity]);
  await run('keytool', ['-exportcert', ...store, '-alias', name, '-rfc', '-file', pem]);
  return { pem, p12 };
}

test('a wrong password, an unknown mechanism, a CA that did not sign the broker and an expired certificate each fail within seconds, naming the cause', { timeout: 180_000 }, async () => {
  const sasl = saslListener();
  const secret = await secretOf(sasl.config);
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-security-bad-'));
  const original = await readFile(sasl.config, 'utf8');
  const variant = async (name: string, text: string) => {
    const file = join(dir, `${name}.properties`);
    await writeFile(file, text);
    return file;
  };
  const attempt = async (brokerList: string, config: string) => {
    const began = Date.now();
    const r = await runCli(['archive', '--brokers', brokerList, '--kafka-config', config, '--topic', 'oxbow-it-never-read', '--archive', `file://${join(dir, 'archive')}`, '--until-caught-up']);
    return { ...r, seconds: (Date.now() - began) / 1000 };
  };
  const server = createServer();
  try {
    const wrongPassword = await attempt(sasl.brokers, await variant('wrong-password', original.replace(secret, 'not-the-password')));
    assert.equal(wrongPassword.code, 1, wrongPassword.stderr);
    assert.match(wrongPassword.stderr, /refused the credentials .*SCRAM-SHA-512|refused the credentials/);
    assert.ok(wrongPassword.seconds < 15, `took ${wrongPassword.seconds} s`);

    const mechanism = await attempt(sasl.brokers, await variant('mechanism', original.replace('SCRAM-SHA-512\n', 'SCRAM-SHA-1\n')));
    assert.equal(mechanism.code, 2, mechanism.stderr);
    assert.match(mechanism.stderr, /sasl\.mechanism SCRAM-SHA-1 is not supported/);

    const otherCa = await certificate(dir, 'other-ca', ['-validity', '30', '-ext', 'bc:c']);
    const wrongCa = await attempt(sasl.brokers, await variant('wrong-ca', original.replace(/ssl\.ca\.location=.*/, `ssl.ca.location=${otherCa.pem}`)));
    assert.equal(wrongCa.code, 2, wrongCa.stderr);
    assert.match(wrongCa.stderr, new RegExp(`TLS to the Kafka listener ${sasl.brokers} failed: its certificate is not signed by a CA this client trusts`));
    assert.ok(wrongCa.seconds < 15, `took ${wrongCa.seconds} s`);

    // A TLS listener whose certificate expired yesterday: the client trusts it, but not past its end.
    const expired = await certificate(dir, 'expired', ['-startdate', '-3d', '-validity', '1']);
    server.setSecureContext({ pfx: await readFile(expired.p12), passphrase: 'changeit' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const expiredRun = await attempt(`127.0.0.1:${port}`, await variant('expired', original.replace(/ssl\.ca\.location=.*/, `ssl.ca.location=${expired.pem}`)));
    assert.equal(expiredRun.code, 2, expiredRun.stderr);
    assert.match(expiredRun.stderr, new RegExp(`TLS to the Kafka listener 127.0.0.1:${port} failed: its certificate has expired`));
    assert.ok(expiredRun.seconds < 15, `took ${expiredRun.seconds} s`);

    // TLS against the plaintext listener.
    const plaintext = await attempt(brokers(), sasl.config);
    assert.equal(plaintext.code, 2, plaintext.stderr);
    assert.match(plaintext.stderr, /did not answer TLS: is this a plaintext/);

    assertNoSecret(secret, [wrongPassword, mechanism, wrongCa, expiredRun, plaintext], []);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
