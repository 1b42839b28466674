// The storage options as the CLI reads them: the CA and the token come from files (or the environment), never from
// the command line itself, and a bad file is a usage error naming the option.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { webhdfsOptions } from '../../../src/cli/storage.js';
import { UsageError } from '../../../src/errors.js';

const dir = await mkdtemp(join(tmpdir(), 'oxbow-storage-opts-'));
after(() => rm(dir, { recursive: true, force: true }));

test('--webhdfs-ca reads a PEM file, --webhdfs-token-file a token (trimmed), OXBOW_WEBHDFS_TOKEN otherwise', async () => {
  const ca = join(dir, 'ca.pem');
  await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const token = join(dir, 'token');
  await writeFile(token, 'HAAEdGVzdAR0ZXN0_-\n');
  assert.deepEqual(webhdfsOptions({ webhdfsCa: ca, webhdfsTokenFile: token, datanodes: 'dn1, dn2:9864' }, { OXBOW_WEBHDFS_TOKEN: 'ignored' }), {
    ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', delegation: 'HAAEdGVzdAR0ZXN0_-', dataNodes: ['dn1', 'dn2:9864'],
  });
  assert.deepEqual(webhdfsOptions({}, { OXBOW_WEBHDFS_TOKEN: 'ABC' }), { delegation: 'ABC' });
  assert.deepEqual(webhdfsOptions({}, {}), {});
});

test('a missing or non-PEM CA file and a token that is not a token string are usage errors naming the option, not the token', async () => {
  const notPem = join(dir, 'ca.der');
  await writeFile(notPem, 'binary');
  const bad = join(dir, 'bad-token');
  await writeFile(bad, 'secret token with spaces');
  const refused = (opts: Parameters<typeof webhdfsOptions>[0], pattern: RegExp) =>
    assert.throws(() => webhdfsOptions(opts, {}), (err: unknown) => err instanceof UsageError && pattern.test(err.message) && !err.message.includes('secret token'));
  refused({ webhdfsCa: join(dir, 'nowhere.pem') }, /--webhdfs-ca .*nowhere\.pem cannot be read \(ENOENT\)/);
  refused({ webhdfsCa: notPem }, /--webhdfs-ca .*ca\.der is not a PEM file/);
  refused({ webhdfsTokenFile: bad }, /--webhdfs-token-file .*bad-token\) is not a URL-safe token string/);
});
