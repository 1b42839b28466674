// The kafkajs client factory: bounded retries, logs through oxbow's logger, connection failures as ConnectionError naming the brokers.

import kafkajs, { type Kafka, type KafkaConfig, type logCreator, type LogEntry, type Producer } from 'kafkajs';
import { connect as tlsConnect } from 'node:tls';
import { AuthenticationError, ConnectionError, OxbowError, UnavailableError, UsageError } from '../../src/errors.js';
import { getLogger, type LogLevel } from '../../src/logger.js';
import { redactCredentials } from '../../src/redact.js';
import { tlsFailure } from '../../src/tls-failure.js';
import { type KafkaSecurity, tlsOptions } from './client-config.js';

const { Kafka: KafkaClass, logLevel, Partitioners } = kafkajs;

export interface KafkaClientOptions {
  /** `host:port[,host:port...]` as given to --brokers. */
  brokers: string;
  clientId?: string;
  /** TLS and SASL from `--kafka-config` (client-config.ts); plaintext without. */
  security?: KafkaSecurity;
}

/** Splits and checks `--brokers`; a UsageError names the bad entry, credentials masked (`user:***@host:9092`). */
export function parseBrokers(brokers: string, what = '--brokers'): string[] {
  const list = brokers.split(',').map((b) => b.trim()).filter((b) => b.length > 0);
  if (list.length === 0) throw new UsageError(`${what}: no broker address given; write HOST:PORT, e.g. localhost:9092`);
  for (const b of list) {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`${what}: '${redactCredentials(b)}' is not HOST:PORT (e.g. localhost:9092)`);
  }
  return list;
}

const levelNames: Record<number, LogLevel> = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' };

/**
 * kafkajs warnings that do not apply to how oxbow uses it: retries are bounded on purpose (a send fails and is reported
 * instead of retrying forever), and an idempotent producer still writes each retried batch once.
 */
const DEMOTED = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);

/** kafkajs logs go through oxbow's logger; its chatty info lines (joins, commits) are demoted to debug. */
const oxbowLogCreator: logCreator = () => (entry: LogEntry) => {
  const log = getLogger(`kafkajs.${entry.namespace || 'client'}`);
  const level = levelNames[entry.level] ?? 'debug';
  const { message, timestamp: _t, logger: _l, stack: _s, ...fields } = entry.log as unknown as Record<string, unknown> & { message: string };
  void _t; void _l; void _s;
  // kafkajs logs every retry as an error; oxbow reports the final failure itself, so these are warnings (and no stacks).
  const mapped = level === 'info' || DEMOTED.has(String(message)) ? 'debug' : level === 'error' ? 'warn' : level;
  log[mapped](String(message), fields);
};

/** A kafkajs client whose retries end within about 20 s (kafkajs's defaults can retry for minutes). */
export function createKafka(options: KafkaClientOptions): Kafka {
  const brokers = parseBrokers(options.brokers);
  const config: KafkaConfig = {
    clientId: options.security?.clientId ?? options.clientId ?? 'oxbow',
    brokers,
    ...(options.security?.ssl === undefined ? {} : { ssl: tlsOptions(options.security.ssl) }),
    // A copy: kafkajs adds its authentication function to the object it is given, and the options must stay data.
    ...(options.security?.sasl === undefined ? {} : { sasl: { ...options.security.sasl } }),
    connectionTimeout: 3000,
    requestTimeout: 25_000,
    // 300 ms doubling to 5 s, 6 retries: about 20 s of trying before a failure surfaces.
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 6, factor: 0.2, multiplier: 2 },
    logLevel: logLevel.WARN,
    logCreator: oxbowLogCreator,
  };
  return new KafkaClass(config);
}

/**
 * The producer every oxbow writer uses: idempotent (a retried batch is written once), never creating a topic, and
 * kafkajs's default partitioner (the Java client's murmur2 placement of keys).
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

function errorChain(err: unknown): Error[] {
  const out: Error[] = [];
  let e: unknown = err;
  while (e instanceof Error && out.length < 10) {
    out.push(e);
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return out;
}

/** Turns a kafkajs failure into an oxbow error: unreachable brokers become ConnectionError with what to check. */
export function mapKafkaError(err: unknown, givenBrokers: string, doing: string): Error {
  if (err instanceof OxbowError) return err;
  const brokers = redactCredentials(givenBrokers);
  const chain = errorChain(err);
  const names = chain.map((e) => e.name);
  const text = chain.map((e) => e.message).join(': ');
  if (names.includes('KafkaJSSASLAuthenticationError')) {
    return new AuthenticationError(`Kafka at ${brokers} refused the credentials while ${doing} (${text}); check the user and password of --kafka-config`, { cause: err });
  }
  if (names.some((n) => n === 'KafkaJSConnectionError' || n === 'KafkaJSConnectionClosedError' || n === 'KafkaJSRequestTimeoutError')
    || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|Connection timeout|Closed connection/i.test(text)) {
    return new ConnectionError(brokers, `cannot reach Kafka at ${brokers} while ${doing} (${text}); check that the brokers run and that --brokers names their advertised host:port`, { cause: err });
  }
  if (/does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/i.test(text)) {
    return new UsageError(`Kafka at ${brokers} has no such topic while ${doing}; create it or check --topic`, { cause: err });
  }
  if (names.includes('KafkaJSNumberOfRetriesExceeded') || names.includes('KafkaJSGroupCoordinatorNotFound') || names.includes('KafkaJSBrokerNotFound')) {
    return new UnavailableError(`Kafka at ${brokers} did not answer while ${doing} (${text})`, { cause: err });
  }
  return new OxbowError('KAFKA', `Kafka at ${brokers} failed while ${doing}: ${text}`, { cause: err, retriable: chain.some((e) => (e as { retriable?: boolean }).retriable === true) });
}

/** Runs one Kafka call and maps its failure; the hard timeout guards against kafkajs hanging on a half-open broker. */
export async function kafkaCall<T>(givenBrokers: string, doing: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const brokers = redactCredentials(givenBrokers);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectionError(brokers, `Kafka at ${brokers} did not answer within ${timeoutMs / 1000} s while ${doing}; check that the brokers run and that --brokers names their advertised host:port`)), timeoutMs);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    throw mapKafkaError(err, brokers, doing);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * With TLS configured: one TLS handshake with the first broker that answers, before any Kafka client starts, so a CA
 * that does not sign the broker's certificate, an expired certificate or a plaintext listener is a UsageError naming the
 * listener within seconds (kafkajs would retry a failed handshake like a network error for half a minute). A broker
 * that does not answer at all is left to the client's own connection error.
 */
export async function checkKafkaTls(givenBrokers: string, security: KafkaSecurity | undefined, timeoutMs = 5_000): Promise<void> {
  if (security?.ssl === undefined) return;
  const ssl = tlsOptions(security.ssl);
  for (const broker of parseBrokers(givenBrokers)) {
    const i = broker.lastIndexOf(':');
    const host = broker.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(broker.slice(i + 1));
    const outcome = await new Promise<Error | 'ok' | 'unreachable'>((resolve) => {
      const socket = tlsConnect({ ...ssl, host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, timeout: timeoutMs });
      const done = (value: Error | 'ok' | 'unreachable') => {
        socket.destroy();
        resolve(value);
      };
      socket.once('secureConnect', () => done('ok'));
      socket.once('timeout', () => done('unreachable'));
      socket.once('error', (err: NodeJS.ErrnoException) => done(/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT/.test(err.code ?? '') ? 'unreachable' : err));
    });
    if (outcome === 'ok') return;
    if (outcome instanceof Error) {
      const code = (outcome as NodeJS.ErrnoException).code ?? '';
      // A TLS listener that resets a non-TLS hello, or a plaintext one that resets ours: either way no TLS here.
      const why = tlsFailure(code, outcome.message) ?? (code === 'ECONNRESET' ? tlsFailure('EPROTO', '') : undefined) ?? 'the TLS handshake failed';
      const hint = /CA this client trusts/.test(why) ? ': set ssl.ca.location to the CA that signed the broker\'s certificate' : '';
      throw new UsageError(`TLS to the Kafka listener ${redactCredentials(broker)} failed: ${why}${hint} (${code || outcome.message}); security: ${security.description}`, { cause: outcome });
    }
  }
}
