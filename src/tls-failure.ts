// Why a TLS handshake failed, in words a user can act on: shared by the Kafka client and the WebHDFS client.

const REASONS: [RegExp, string][] = [
  [/CERT_HAS_EXPIRED/, 'its certificate has expired'],
  [/CERT_NOT_YET_VALID/, 'its certificate is not valid yet'],
  [/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE/, 'its certificate is not signed by a CA this client trusts'],
  [/ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH/, 'its certificate is not for the host name used to reach it'],
  [/EPROTO|wrong version number|packet length too long|WRONG_VERSION_NUMBER/, 'it did not answer TLS: is this a plaintext (HTTP / PLAINTEXT) port?'],
];

/** The reason for a failed TLS handshake from Node's error code and message; undefined when it is not a TLS failure. */
export function tlsFailure(code: string | undefined, message: string): string | undefined {
  const text = `${code ?? ''} ${message}`;
  return REASONS.find(([pattern]) => pattern.test(text))?.[1];
}
