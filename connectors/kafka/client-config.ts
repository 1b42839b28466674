// `--kafka-config FILE`: the Kafka client properties users already write for Java clients, kcat and librdkafka
// (security.protocol, sasl.*, ssl.*, client.id), read into kafkajs's SASL and TLS options. Secrets may come from the
// environment with Kafka's `${env:NAME}` syntax; no message built here ever contains a value, only names and paths.

import type { SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { UsageError } from '../../src/errors.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS = { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' } as const;

/**
 * The TLS settings of every broker connection (PEM contents, not paths): data only, so that they can cross to the
 * Kafka reader's thread; `tlsOptions` makes Node's options of them.
 */
export interface TlsSettings {
  ca?: string[];
  cert?: string;
  key?: string;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  /** false: the broker's certificate is not checked against its host name (`ssl.endpoint.identification.algorithm=`). */
  checkHostName?: false;
}

/** Node's TLS options of the settings. */
export function tlsOptions(settings: TlsSettings): ConnectionOptions {
  const { checkHostName, ...options } = settings;
  return checkHostName === false ? { ...options, checkServerIdentity: () => undefined } : options;
}

/** What a client config file gives the kafkajs client: data only (it crosses to the Kafka reader's thread). */
export interface KafkaSecurity {
  protocol: SecurityProtocol;
  /** TLS of every broker connection; undefined without TLS. */
  ssl?: TlsSettings;
  /** Set for SASL_* protocols. */
  sasl?: SASLOptions & { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  clientId?: string;
  /** For messages: `SASL_SSL, SCRAM-SHA-512 as user oxbow, CA /etc/kafka/ca.pem` — never a secret. */
  description: string;
  /** The file's keys oxbow does not use (a Java client warns about these too). */
  unused: string[];
}

/** Kafka's properties format: `key=value`, `key: value` or `key value`; `#`/`!` comments; `\` continues a line. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = unescape(m ? m[1]! : line);
    out.set(key, m ? unescape(m[2]!) : '');
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
    c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c);
}

/** `${env:NAME}` → the variable's value; a missing variable is a UsageError naming it and the property. */
function expandEnv(key: string, value: string, env: NodeJS.ProcessEnv, file: string): string {
  return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new UsageError(`${file}: ${key} refers to the environment variable ${name}, which is not set; export it or write the value in the file`);
    return v;
  });
}

/** username and password from `sasl.jaas.config` (PlainLoginModule / ScramLoginModule ... required username="u" password="p";). */
function jaasCredentials(jaas: string, file: string): { module: string; username?: string; password?: string } {
  const m = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b([\s\S]*?);?\s*$/.exec(jaas);
  if (!m) throw new UsageError(`${file}: sasl.jaas.config is not '<LoginModule> required username="..." password="...";'`);
  const options = new Map<string, string>();
  for (const o of m[3]!.matchAll(/([\w.]+)\s*=\s*(?:"((?:\\.|[^"\\])*)"|([^\s;"]+))/g)) options.set(o[1]!, o[2] !== undefined ? o[2].replace(/\\(.)/g, '$1') : o[3]!);
  return { module: m[1]!, username: options.get('username'), password: options.get('password') };
}

/** Reads the PEM file `property` names; a UsageError names the property and the path, never the contents. */
export type ReadPem = (path: string, property: string) => string;

/**
 * The security a client properties file asks for. Throws UsageError (exit 2) for anything oxbow cannot do as written,
 * naming the property: an unknown protocol or mechanism, Kerberos, JKS stores, credentials missing or given without
 * SASL, a PEM file that cannot be read or is not PEM.
 */
export function kafkaSecurityFromProperties(text: string, file: string, env: NodeJS.ProcessEnv, readPem: ReadPem): KafkaSecurity {
  const raw = parseProperties(text);
  const props = new Map([...raw].map(([k, v]) => [k, expandEnv(k, v, env, file)]));
  const used = new Set<string>();
  const get = (key: string) => {
    used.add(key);
    const v = props.get(key)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const protocolText = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocolText as SecurityProtocol)) {
    throw new UsageError(`${file}: security.protocol ${protocolText} is not one of ${PROTOCOLS.join(', ')}`);
  }
  const protocol = protocolText as SecurityProtocol;
  const description: string[] = [protocol];
  for (const jks of ['ssl.truststore.location', 'ssl.keystore.location']) {
    if (get(jks) !== undefined) {
      throw new UsageError(`${file}: ${jks} (a JKS or PKCS12 store) is not supported: give PEM files in ssl.ca.location, ssl.certificate.location and ssl.key.location (e.g. keytool -exportcert -rfc -keystore STORE -alias ALIAS > ca.pem)`);
    }
  }

  let ssl: TlsSettings | undefined;
  const caPath = get('ssl.ca.location');
  const certPath = get('ssl.certificate.location');
  const keyPath = get('ssl.key.location');
  const keyPassword = get('ssl.key.password');
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    ssl = {};
    if (caPath !== undefined) {
      ssl.ca = [readPem(caPath, 'ssl.ca.location')];
      description.push(`CA ${caPath}`);
    }
    if ((certPath === undefined) !== (keyPath === undefined)) {
      throw new UsageError(`${file}: a client certificate needs both ssl.certificate.location and ssl.key.location`);
    }
    if (certPath !== undefined && keyPath !== undefined) {
      ssl.cert = readPem(certPath, 'ssl.certificate.location');
      ssl.key = readPem(keyPath, 'ssl.key.location');
      if (keyPassword !== undefined) ssl.passphrase = keyPassword;
      description.push(`client certificate ${certPath}`);
    }
    // librdkafka's switch for skipping verification; Java's equivalent is an empty endpoint identification algorithm.
    const verify = get('enable.ssl.certificate.verification');
    if (verify !== undefined && verify.toLowerCase() === 'false') {
      ssl.rejectUnauthorized = false;
      description.push('certificate NOT verified');
    }
    if (get('ssl.endpoint.identification.algorithm') === undefined && props.has('ssl.endpoint.identification.algorithm')) {
      ssl.checkHostName = false;
      description.push('host name not checked');
    }
  } else if ([caPath, certPath, keyPath].some((p) => p !== undefined)) {
    throw new UsageError(`${file}: ssl.* locations are set but security.protocol is ${protocol}: use SSL or SASL_SSL to connect with TLS`);
  }

  let sasl: KafkaSecurity['sasl'];
  const mechanismText = get('sasl.mechanism') ?? get('sasl.mechanisms');
  const jaas = get('sasl.jaas.config');
  if (protocol === 'SASL_SSL' || protocol === 'SASL_PLAINTEXT') {
    const mechanism = (mechanismText ?? 'GSSAPI').toUpperCase();
    if (mechanism === 'GSSAPI') {
      throw new UsageError(`${file}: sasl.mechanism ${mechanismText === undefined ? 'is not set, and Kafka\'s default GSSAPI (Kerberos)' : 'GSSAPI (Kerberos)'} is not supported by oxbow's Kafka client (kafkajs): use SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN; see docs/security.md`);
    }
    if (!(mechanism in MECHANISMS)) {
      throw new UsageError(`${file}: sasl.mechanism ${mechanism} is not supported: use ${Object.keys(MECHANISMS).join(', ')}; see docs/security.md`);
    }
    const fromJaas = jaas === undefined ? undefined : jaasCredentials(jaas, file);
    const username = get('sasl.username') ?? fromJaas?.username;
    const password = get('sasl.password') ?? fromJaas?.password;
    if (username === undefined || password === undefined) {
      throw new UsageError(`${file}: ${mechanism} needs a username and a password: sasl.jaas.config with username="..." password="..." (or sasl.username and sasl.password)`);
    }
    sasl = { mechanism: MECHANISMS[mechanism as keyof typeof MECHANISMS], username, password };
    description.push(`${mechanism} as user ${username}`);
  } else if (mechanismText !== undefined || jaas !== undefined || get('sasl.username') !== undefined || get('sasl.password') !== undefined) {
    throw new UsageError(`${file}: sasl.* settings are set but security.protocol is ${protocol}: use SASL_SSL (or SASL_PLAINTEXT) to authenticate`);
  }

  const clientId = get('client.id');
  const unused = [...props.keys()].filter((k) => !used.has(k)).sort();
  return { protocol, ssl, sasl, clientId, description: description.join(', '), unused };
}
