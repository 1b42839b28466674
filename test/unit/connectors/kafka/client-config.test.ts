// Kafka client properties → kafkajs TLS and SASL options: what users write for Java clients and kcat, the
// `${env:NAME}` secrets, and every refusal naming the property (never a secret).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaSecurityFromProperties, parseProperties, tlsOptions } from '../../../../connectors/kafka/client-config.js';
import { UsageError } from '../../../../src/errors.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const pems = new Map([['/etc/kafka/ca.pem', PEM], ['/etc/kafka/client.pem', PEM + 'cert'], ['/etc/kafka/client.key', '-----BEGIN PRIVATE KEY-----\nk\n']]);
const readPem = (path: string, property: string) => {
  const text = pems.get(path);
  if (text === undefined) throw new UsageError(`${property}: cannot read ${path}`);
  return text;
};
const parse = (text: string, env: NodeJS.ProcessEnv = {}) => kafkaSecurityFromProperties(text, 'client.properties', env, readPem);
const refused = (text: string, pattern: RegExp, env: NodeJS.ProcessEnv = {}) =>
  assert.throws(() => parse(text, env), (err: unknown) => err instanceof UsageError && pattern.test(err.message) && !err.message.includes('s3cret'));

test('the properties format: separators, comments, continuations and escapes', () => {
  const props = parseProperties('# comment\n! also\na=1\nb: 2\nc 3\n  d = four \\\n   five\ne=x\\=y\\u0041\n\nempty=\n');
  assert.deepEqual(Object.fromEntries(props), { a: '1', b: '2', c: '3', d: 'four five', e: 'x=yA', empty: '' });
});

test('SASL_SSL with SCRAM-SHA-512 from a Java JAAS line, the CA as PEM, client.id; no secret in the description', () => {
  const s = parse([
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="s3cret";',
    'ssl.ca.location=/etc/kafka/ca.pem',
    'client.id=backfill',
    'bootstrap.servers=kafka:9093',
  ].join('\n'));
  assert.equal(s.protocol, 'SASL_SSL');
  assert.deepEqual(s.sasl, { mechanism: 'scram-sha-512', username: 'alice', password: 's3cret' });
  assert.deepEqual(s.ssl, { ca: [PEM] });
  assert.equal(s.clientId, 'backfill');
  assert.deepEqual(s.unused, ['bootstrap.servers']);
  assert.equal(s.description, 'SASL_SSL, CA /etc/kafka/ca.pem, SCRAM-SHA-512 as user alice');
});

test('kcat/librdkafka names and a secret from the environment', () => {
  const s = parse('security.protocol=sasl_ssl\nsasl.mechanisms=PLAIN\nsasl.username=bob\nsasl.password=${env:KAFKA_PASSWORD}\n', { KAFKA_PASSWORD: 's3cret' });
  assert.deepEqual(s.sasl, { mechanism: 'plain', username: 'bob', password: 's3cret' });
  assert.deepEqual(s.ssl, {}, 'TLS with the system CAs');
  refused('security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=bob\nsasl.password=${env:KAFKA_PASSWORD}\n', /sasl\.password refers to the environment variable KAFKA_PASSWORD, which is not set/);
});

test('SSL with a client certificate; verification switches as Java and librdkafka spell them', () => {
  const s = parse('security.protocol=SSL\nssl.ca.location=/etc/kafka/ca.pem\nssl.certificate.location=/etc/kafka/client.pem\nssl.key.location=/etc/kafka/client.key\nssl.key.password=s3cret\nssl.endpoint.identification.algorithm=\n');
  assert.equal(s.ssl?.cert, PEM + 'cert');
  assert.equal(s.ssl?.passphrase, 's3cret');
  assert.equal(s.ssl?.checkHostName, false);
  assert.equal(typeof tlsOptions(s.ssl!).checkServerIdentity, 'function');
  assert.equal(tlsOptions({ ca: [PEM] }).checkServerIdentity, undefined, 'host names checked unless the file says otherwise');
  assert.equal(s.sasl, undefined);
  assert.equal(parse('security.protocol=SSL\nenable.ssl.certificate.verification=false\n').ssl?.rejectUnauthorized, false);
  assert.deepEqual(parse('client.id=x\n'), { protocol: 'PLAINTEXT', ssl: undefined, sasl: undefined, clientId: 'x', description: 'PLAINTEXT', unused: [] });
});

test('what oxbow cannot do as written is refused naming the property, never echoing a secret', () => {
  refused('security.protocol=SASL_TLS\n', /security\.protocol SASL_TLS is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
  refused('security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI\n', /GSSAPI \(Kerberos\) is not supported/);
  refused('security.protocol=SASL_SSL\nsasl.username=a\nsasl.password=s3cret\n', /sasl\.mechanism is not set, and Kafka's default GSSAPI/);
  refused('security.protocol=SASL_SSL\nsasl.mechanism=OAUTHBEARER\n', /sasl\.mechanism OAUTHBEARER is not supported: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
  refused('security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\nsasl.username=a\n', /SCRAM-SHA-256 needs a username and a password/);
  refused('security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=username="a" password="s3cret"\n', /sasl\.jaas\.config is not '<LoginModule> required/);
  refused('security.protocol=SSL\nssl.truststore.location=/etc/kafka/truststore.jks\nssl.truststore.password=s3cret\n', /ssl\.truststore\.location \(a JKS or PKCS12 store\) is not supported: give PEM files/);
  refused('security.protocol=SSL\nssl.certificate.location=/etc/kafka/client.pem\n', /needs both ssl\.certificate\.location and ssl\.key\.location/);
  refused('security.protocol=SSL\nssl.ca.location=/nowhere/ca.pem\n', /ssl\.ca\.location: cannot read \/nowhere\/ca\.pem/);
  refused('sasl.mechanism=PLAIN\nsasl.username=a\nsasl.password=s3cret\n', /sasl\.\* settings are set but security\.protocol is PLAINTEXT/);
  refused('security.protocol=PLAINTEXT\nssl.ca.location=/etc/kafka/ca.pem\n', /ssl\.\* locations are set but security\.protocol is PLAINTEXT/);
});

test('every security a file gives is data that crosses to another thread unchanged', () => {
  const files = [
    'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=s3cret\nssl.ca.location=/etc/kafka/ca.pem\n',
    'security.protocol=SSL\nssl.ca.location=/etc/kafka/ca.pem\nssl.certificate.location=/etc/kafka/client.pem\nssl.key.location=/etc/kafka/client.key\nssl.key.password=s3cret\nssl.endpoint.identification.algorithm=\nenable.ssl.certificate.verification=false\n',
    'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=bob\nsasl.password=x\n',
    'client.id=x\n',
  ];
  for (const file of files) {
    const s = parse(file);
    // The Kafka reader's thread gets its client options as workerData: a function (a host-name check) would not cross.
    assert.deepEqual(structuredClone(s), s, file);
  }
});
