// redactCredentials masks userinfo passwords and secret query values in user-given URIs and broker lists, and nothing else.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactCredentials } from '../../src/redact.js';

describe('redactCredentials', () => {
  const masked = [
    ['webhdfs://bob:hunter2@nn:9870/x', 'webhdfs://bob:***@nn:9870/x', 'hunter2'],
    ['SASL_SSL://alice:hunter2@kafka:9093', 'SASL_SSL://alice:***@kafka:9093', 'hunter2'],
    ['alice:hunter2@kafka:9092', 'alice:***@kafka:9092', 'hunter2'],
    // Which entry the password belongs to is ambiguous once it may hold `,`: masked from the first `:`, more than needed.
    ['kafka1:9092, alice:hunter2@kafka2:9092', 'kafka1:***@kafka2:9092', 'hunter2'],
    ['webhdfs://:hunter2@nn/x', 'webhdfs://:***@nn/x', 'hunter2'],
    // Unencoded @ / ? , and spaces in a password: masked whole, up to the last @.
    ['webhdfs://bob:hun@ter/2?x@nn:9870/x', 'webhdfs://bob:***@nn:9870/x', 'ter/2'],
    ['webhdfs://bob:hun,ter 2@nn/x', 'webhdfs://bob:***@nn/x', 'ter 2'],
    ['webhdfs://nn/x?user=etl&password=hunter2', 'webhdfs://nn/x?user=etl&password=***', 'hunter2'],
    ['webhdfs://nn/x?PASS=hunter2&user=etl', 'webhdfs://nn/x?PASS=***&user=etl', 'hunter2'],
    ['webhdfs://nn/x?client_secret=hunter2#f', 'webhdfs://nn/x?client_secret=***#f', 'hunter2'],
    ['webhdfs://nn/x?token=hunter2', 'webhdfs://nn/x?token=***', 'hunter2'],
    ['webhdfs://nn/x?delegation=hunter2', 'webhdfs://nn/x?delegation=***', 'hunter2'],
    ['webhdfs://bob:hunter2@nn/x?secret=hunter3', 'webhdfs://bob:***@nn/x?secret=***', 'hunter'],
  ] as const;
  for (const [input, expected, secret] of masked) {
    it(`masks ${expected}`, () => {
      const out = redactCredentials(input);
      assert.equal(out, expected);
      assert.ok(!out.includes(secret), out);
    });
  }

  for (const clean of ['webhdfs://nn:9870/x?user=etl', 'webhdfs://bob@nn/x', 'file:///data/a:b', 'localhost:9092,[::1]:9093', 'http://127.0.0.1:9870', '/abs/path', '']) {
    it(`leaves '${clean}' as it is`, () => assert.equal(redactCredentials(clean), clean));
  }

  it('is idempotent', () => {
    const once = redactCredentials('webhdfs://bob:hunter2@nn/x?token=t');
    assert.equal(redactCredentials(once), once);
  });
});
