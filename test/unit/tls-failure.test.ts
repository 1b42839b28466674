// Node's TLS error codes as reasons a user can act on; anything else is not called a TLS failure.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tlsFailure } from '../../src/tls-failure.js';

test('each verification failure has its reason; network errors are not TLS failures', () => {
  assert.equal(tlsFailure('CERT_HAS_EXPIRED', 'certificate has expired'), 'its certificate has expired');
  for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
    assert.equal(tlsFailure(code, ''), 'its certificate is not signed by a CA this client trusts', code);
  }
  assert.equal(tlsFailure('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'its certificate is not for the host name used to reach it');
  assert.match(tlsFailure('EPROTO', 'ssl3_get_record:wrong version number') ?? '', /did not answer TLS/);
  assert.match(tlsFailure(undefined, 'routines:ssl3_get_record:wrong version number') ?? '', /did not answer TLS/);
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', undefined]) assert.equal(tlsFailure(code, 'connect failed'), undefined, String(code));
});
