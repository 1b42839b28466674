// The kafkajs client factory: bounded retries, logs through oxbow's logger, connection failures as ConnectionError naming the brokers.

import kafkajs, { type Kafka, type KafkaConfig, type logCreator, type LogEntry } from 'kafkajs';
import { ConnectionError, OxbowError, UnavailableError, UsageError } from '../../src/errors.js';
import { getLogger, type LogLevel } from '../../src/logger.js';
import { redactCredentials } from '../../src/redact.js';

const { Kafka: KafkaClass, logLevel } = kafkajs;

export interface KafkaClientOptions {
  /** `host:port[,host:port...]` as given to --brokers. */
  brokers: string;
  clientId?: string;
  /** How long kafkajs may keep retrying one request before oxbow reports the brokers unreachable. Default 30 s. */
  connectWithinMs?: number;
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

/** A kafkajs client whose retries end within `connectWithinMs` (kafkajs's defaults can retry for minutes). */
export function createKafka(options: KafkaClientOptions): Kafka {
  const brokers = parseBrokers(options.brokers);
  const config: KafkaConfig = {
    clientId: options.clientId ?? 'oxbow',
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 25_000,
    // 300 ms doubling to 5 s, 6 retries: about 20 s of trying before a failure surfaces.
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 6, factor: 0.2, multiplier: 2 },
    logLevel: logLevel.WARN,
    logCreator: oxbowLogCreator,
  };
  return new KafkaClass(config);
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
