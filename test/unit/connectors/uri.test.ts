// Every storage URI form users type, and the UsageError for the ones oxbow does not take.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { parseArchiveUri } from '../../../connectors/uri.js';
import { openArchiveFs } from '../../../connectors/open-archive-fs.js';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { UsageError } from '../../../src/errors.js';
import { redactCredentials } from '../../../src/redact.js';

const cwd = '/home/me/project';
const env = { HADOOP_USER_NAME: 'etl' };
const parse = (uri: string) => parseArchiveUri(uri, { cwd, env });

describe('parseArchiveUri', () => {
  it('takes local forms', () => {
    assert.deepEqual(parse('file:///data/archive'), { scheme: 'file', root: '/data/archive' });
    assert.deepEqual(parse('file:///data/archive/'), { scheme: 'file', root: '/data/archive' });
    assert.deepEqual(parse('file://./fixtures/sample-archive'), { scheme: 'file', root: '/home/me/project/fixtures/sample-archive' });
    assert.deepEqual(parse('file://../other'), { scheme: 'file', root: '/home/me/other' });
    assert.deepEqual(parse('file://.'), { scheme: 'file', root: '/home/me/project' });
    assert.deepEqual(parse('file://localhost/data'), { scheme: 'file', root: '/data' });
    assert.deepEqual(parse('file:/data'), { scheme: 'file', root: '/data' });
    assert.deepEqual(parse('file:///with%20space/x'), { scheme: 'file', root: '/with space/x' });
    assert.deepEqual(parse('/abs/path'), { scheme: 'file', root: '/abs/path' });
    assert.deepEqual(parse('./rel/path'), { scheme: 'file', root: '/home/me/project/rel/path' });
    assert.deepEqual(parse('rel'), { scheme: 'file', root: '/home/me/project/rel' });
    // A plain path is taken literally, not %-decoded.
    assert.deepEqual(parse('/a%20b'), { scheme: 'file', root: '/a%20b' });
  });

  it('takes webhdfs and swebhdfs with a user', () => {
    assert.deepEqual(parse('webhdfs://127.0.0.1:9870/archive?user=alice'), {
      scheme: 'webhdfs', baseUrl: 'http://127.0.0.1:9870', root: '/archive', user: 'alice',
    });
    assert.deepEqual(parse('swebhdfs://nn.example.com:50470/a/b/'), {
      scheme: 'swebhdfs', baseUrl: 'https://nn.example.com:50470', root: '/a/b', user: 'etl',
    });
    assert.deepEqual(parse('webhdfs://nn'), { scheme: 'webhdfs', baseUrl: 'http://nn:9870', root: '/', user: 'etl' });
    assert.deepEqual(parse('WEBHDFS://nn:1/x%2By'), { scheme: 'webhdfs', baseUrl: 'http://nn:1', root: '/x+y', user: 'etl' });
    assert.deepEqual(parse('webhdfs://[::1]:9870/x'), { scheme: 'webhdfs', baseUrl: 'http://[::1]:9870', root: '/x', user: 'etl' });
  });

  it('falls back to the OS user without HADOOP_USER_NAME', () => {
    const loc = parseArchiveUri('webhdfs://nn:9870/x', { env: {} });
    assert.equal(loc.scheme, 'webhdfs');
    assert.ok(loc.scheme === 'webhdfs' && loc.user.length > 0);
  });

  for (const [uri, why] of [
    ['', /empty/],
    ['   ', /empty/],
    ['s3://bucket/key', /scheme 's3:' is not supported/],
    ['hdfs://nn:8020/archive', /webhdfs:\/\/namenode:9870/],
    ['file://host/data', /names no host/],
    ['file:relative', /absolute path/],
    ['file:///data?user=x', /no \?query/],
    ['webhdfs:///archive', /names no NameNode host/],
    ['webhdfs:nn/archive', /names no NameNode host/],
    ['webhdfs://nn:99999/x', /not a well-formed URI/],
    ['webhdfs://nn:9870/x?usr=bob', /'usr' is unknown/],
    ['webhdfs://nn:9870/x?user=', /empty/],
    ['webhdfs://bob:secret@nn:9870/x', /credentials/],
    ['webhdfs://nn:9870/x#frag', /fragment/],
    ['file:///bad%zzescape', /malformed %-escape/],
  ] as const) {
    it(`rejects '${uri}' with a UsageError naming it and the accepted forms`, () => {
      assert.throws(
        () => parse(uri),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, String(err));
          assert.match(err.message, why);
          assert.ok(err.message.includes(`'${redactCredentials(uri.trim())}'`) || uri.trim() === '', err.message);
          assert.match(err.message, /Accepted forms: .*file:\/\/\.\/relative\/path.*webhdfs:\/\//);
          return true;
        },
      );
    });
  }
});

describe('credentials in a refused URI', () => {
  for (const uri of [
    'webhdfs://bob:hunter2@nn:9870/x',
    'swebhdfs://bob:hunter2@nn/x?user=etl',
    'webhdfs://bob:hunter2@nn:99999/x',
    'webhdfs://bob:hunter2@/x',
    'webhdfs://:hunter2@nn/x',
    'webhdfs://bob:hun@ter2@nn/x',
    'hdfs://bob:hunter2@nn:8020/x',
    's3://key:hunter2@bucket/x',
    'file://bob:hunter2@host/x',
    'webhdfs://nn/x?password=hunter2',
    'webhdfs://nn/x?user=etl&token=hunter2',
    'file:///x?secret=hunter2',
  ]) {
    it(`'${uri}' is refused without the password in the message or the error`, () => {
      assert.throws(() => parse(uri), (err: unknown) => {
        assert.ok(err instanceof UsageError, String(err));
        assert.ok(!err.message.includes('hunter2') && !err.message.includes('ter2'), err.message);
        assert.ok(!inspect(err, { depth: 5 }).includes('hunter2'), 'nor in its cause');
        assert.match(err.message, /\*\*\*/);
        return true;
      });
    });
  }
});

describe('openArchiveFs', () => {
  it('opens a LocalFs rooted at the resolved path', () => {
    const opened = openArchiveFs('file://./fixtures/sample-archive', { cwd });
    assert.ok(opened.fs instanceof LocalFs);
    assert.equal(opened.root, '/home/me/project/fixtures/sample-archive');
    assert.equal(opened.fs.description, 'file://');
  });
});
