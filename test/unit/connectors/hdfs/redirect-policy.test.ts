// Which NameNode redirects are followed: the NameNode's host, listed DataNode hosts (option or environment), loopback as one host, never HTTPS to HTTP.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DATANODES_ENV, RedirectPolicy } from '../../../../connectors/hdfs/redirect-policy.js';
import { RemoteError, UsageError } from '../../../../src/errors.js';

const doing = 'WebHDFS OPEN /x';
const policy = (nameNode: string, dataNodes?: string[], env: Record<string, string> = {}) => RedirectPolicy.create(nameNode, dataNodes, env);
const follows = (p: RedirectPolicy, location: string) => {
  try {
    return p.follow(location, 307, doing) === new URL(location).href;
  } catch (err) {
    if (err instanceof UsageError && /not a trusted host|never followed to HTTP/.test(err.message)) return false;
    throw err;
  }
};

describe('RedirectPolicy', () => {
  it('follows to the NameNode host on any port, and refuses other hosts without configuration', () => {
    const p = policy('http://nn1.example.com:9870');
    assert.ok(follows(p, 'http://nn1.example.com:9864/webhdfs/v1/x?op=OPEN'));
    assert.ok(follows(p, 'http://NN1.Example.com.:1234/x'), 'host names compare without case and trailing dot');
    assert.ok(follows(p, 'https://nn1.example.com:9865/x'), 'HTTP to HTTPS is fine');
    assert.equal(follows(p, 'http://dn1.example.com:9864/x'), false);
    assert.equal(follows(p, 'http://127.0.0.1:9864/x'), false, 'a remote NameNode cannot point us at our own machine');
  });

  it('treats loopback names as one host, but only among themselves', () => {
    for (const nn of ['http://localhost:9870', 'http://127.0.0.1:9870', 'http://[::1]:9870']) {
      const p = policy(nn);
      for (const dn of ['http://127.0.0.1:40123/x', 'http://localhost:40123/x', 'http://[::1]:40123/x', 'http://127.0.1.1:9864/x']) {
        assert.ok(follows(p, dn), `${nn} → ${dn}`);
      }
      assert.equal(follows(p, 'http://dn1:9864/x'), false);
    }
  });

  it('follows to listed DataNode hosts; a listed port pins the port, none means any', () => {
    const p = policy('http://nn:9870', ['dn1', 'DN2.example.com:9864', ' [::2] ', 'http://dn3:9865/']);
    assert.ok(follows(p, 'http://dn1:9864/x'));
    assert.ok(follows(p, 'https://dn1:50475/x'));
    assert.ok(follows(p, 'http://dn2.example.com:9864/x'));
    assert.equal(follows(p, 'http://dn2.example.com:9999/x'), false);
    assert.ok(follows(p, 'http://[::2]:9864/x'));
    assert.ok(follows(p, 'http://dn3:9865/x'));
    assert.equal(follows(p, 'http://dn4:9864/x'), false);
  });

  it(`reads ${DATANODES_ENV} only when the option is not given; * trusts any host`, () => {
    const env = { [DATANODES_ENV]: 'dn1, dn2:9864,' };
    assert.ok(follows(policy('http://nn:9870', undefined, env), 'http://dn2:9864/x'));
    assert.equal(follows(policy('http://nn:9870', [], env), 'http://dn2:9864/x'), false, 'an explicit empty list wins over the environment');
    assert.ok(follows(policy('http://nn:9870', undefined, { [DATANODES_ENV]: '*' }), 'http://anything.example:1/x'));
    assert.ok(follows(policy('http://nn:9870', ['dn1', '*']), 'http://10.1.2.3:9864/x'));
  });

  it('never follows an HTTPS NameNode to plain HTTP, not even with *', () => {
    for (const p of [policy('https://nn:9871'), policy('https://nn:9871', ['*'])]) {
      const err = (() => { try { p.follow('http://nn:9864/x', 307, doing); } catch (e) { return e; } })();
      assert.ok(err instanceof UsageError && !err.retriable, String(err));
      assert.match(err.message, /HTTPS NameNode is never followed to HTTP/);
      assert.match(err.message, /dfs\.http\.policy=HTTPS_ONLY/);
    }
  });

  it('the refusal names the refused host, the NameNode, the trusted list and what to do', () => {
    const err = (() => { try { policy('http://nn1:9870', ['dn1']).follow('http://evil.example:9864/webhdfs/v1/x?op=OPEN&user.name=etl', 307, doing); } catch (e) { return e; } })();
    assert.ok(err instanceof UsageError && !err.retriable, String(err));
    assert.match(err.message, /^WebHDFS OPEN \/x: the NameNode at http:\/\/nn1:9870 redirected to evil\.example:9864, which is not a trusted host/);
    assert.match(err.message, /trusted now: dn1, from the dataNodes option/);
    assert.match(err.message, /--datanodes evil\.example\[,HOST\.\.\.\] or set OXBOW_WEBHDFS_DATANODES=evil\.example/);
    assert.ok(!err.message.includes('user.name'), 'the Location (with its query) is not echoed');
  });

  it('refuses non-http schemes and malformed locations as BadRedirect', () => {
    const p = policy('http://nn:9870', ['*']);
    for (const location of ['file:///etc/passwd', 'ftp://nn/x', 'http://[bad']) {
      assert.throws(() => p.follow(location, 307, doing), (e: unknown) => e instanceof RemoteError && e.remoteException === 'BadRedirect', location);
    }
  });

  it('a malformed list entry is a UsageError naming it and where it came from, without credentials', () => {
    for (const [dataNodes, env, source] of [
      [['dn1:99999'], {}, /dataNodes option/],
      [['dn1/path'], {}, /dataNodes option/],
      [undefined, { [DATANODES_ENV]: 'dn1,bob:hunter2@dn2' }, /OXBOW_WEBHDFS_DATANODES/],
    ] as const) {
      assert.throws(() => policy('http://nn:9870', dataNodes as string[] | undefined, env as Record<string, string>), (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, source);
        assert.match(e.message, /HOST or HOST:PORT/);
        assert.ok(!e.message.includes('hunter2'), e.message);
        return true;
      });
    }
  });
});
