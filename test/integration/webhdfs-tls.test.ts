// WebHDFS over TLS (swebhdfs://) against the services' HTTPS NameNode and DataNode: an archive written through it holds
// exactly Kafka's log (read back over plain HTTP from the same HDFS), a replay through it gives the offline sessions, and
// a missing CA or the HTTP port behind swebhdfs:// are usage errors within seconds naming the NameNode.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MusicEvent } from '../../src/gen/music-events.js';
import { assertArchiveEqualsLog, brokers, kafkaLog, readBack, removeArchive, runCli, startCli, uniqueName, webhdfsArchive, webhdfsUrl } from './archive-support.js';
import { offlineSessions, sessionKey } from './sessions-support.js';

function https(): { host: string; ca: string } {
  const url = process.env.OXBOW_WEBHDFS_HTTPS_URL;
  const ca = process.env.OXBOW_WEBHDFS_CA;
  assert.ok(url && ca, 'OXBOW_WEBHDFS_HTTPS_URL and OXBOW_WEBHDFS_CA are not set: run npm test (or npm run services -- start and export what it prints)');
  return { host: new URL(url).host, ca };
}

test('archive and replay through swebhdfs:// with --webhdfs-ca: Kafka\'s log offset by offset and the offline sessions; no CA, or the HTTP port, is exit 2 naming the NameNode', { timeout: 180_000 }, async () => {
  const tls = https();
  const topic = uniqueName('oxbow-it-tls');
  const path = `oxbow-it/${topic}`;
  const secure = `swebhdfs://${tls.host}/${path}`;
  try {
    const produced = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--partitions', '2', '--users', '100', '--duration', '6h', '--limit', '1500']);
    assert.equal(produced.code, 0, produced.stderr);
    const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', secure, '--webhdfs-ca', tls.ca, '--until-caught-up', '--rotate-records', '400']);
    assert.equal(archived.code, 0, archived.stderr);
    const log = await kafkaLog(topic);
    // The same HDFS read back over plain HTTP: what the TLS path wrote, checked by another path.
    assertArchiveEqualsLog(await readBack(webhdfsArchive(path), topic, [0, 1]), log, 'the archive written over TLS');

    const replay = await runCli(['sessions', '--archive', secure, '--webhdfs-ca', tls.ca, '--topic', topic, '--aggregate', 'listening']);
    assert.equal(replay.code, 0, replay.stderr);
    const events = [...log.values()].flat().map((r) => JSON.parse(r.value!) as MusicEvent);
    assert.deepEqual(replay.stdout.split('\n').filter(Boolean).map(sessionKey).sort(), offlineSessions(events, 30 * 60_000, 'listening'));

    // A delegation token (from the environment) goes on every call instead of user.name and into no output; the mini
    // cluster runs without Kerberos, so it accepts any token: this checks the token's path, not Hadoop's check of it.
    const token = 'HAAEdGVzdAR0ZXN0AIoBsecret';
    const tokened = await startCli(['inspect', '--archive', secure, '--webhdfs-ca', tls.ca, '--topic', topic, '--log-level', 'debug'], undefined, { OXBOW_WEBHDFS_TOKEN: token }).done;
    assert.equal(tokened.code, 0, tokened.stderr);
    assert.match(tokened.stdout, new RegExp(`${topic}/0: \\d+ files`));
    assert.ok(!tokened.stdout.includes(token) && !tokened.stderr.includes(token), 'the token is in the output');

    const noCa = await runCli(['inspect', '--archive', secure]);
    assert.equal(noCa.code, 2, noCa.stderr);
    assert.match(noCa.stderr, new RegExp(`TLS to the NameNode at https://${tls.host} failed: its certificate is not signed by a CA this client trusts: give the CA that signed it with --webhdfs-ca`));
    const archiveNoCa = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', secure, '--until-caught-up']);
    assert.equal(archiveNoCa.code, 2, `the archiver does not retry a certificate it cannot trust:\n${archiveNoCa.stderr}`);
    const httpPort = new URL(webhdfsUrl()).host;
    const plain = await runCli(['inspect', '--archive', `swebhdfs://${httpPort}/${path}`, '--webhdfs-ca', tls.ca]);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, new RegExp(`TLS to the NameNode at https://${httpPort} failed: it did not answer TLS`));
  } finally {
    await removeArchive(webhdfsArchive(path));
  }
});
