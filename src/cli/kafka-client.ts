// The Kafka client every command builds: `--brokers` plus, with `--kafka-config FILE`, the TLS and SASL settings of a
// Kafka client properties file (docs/security.md), checked with one TLS handshake before any client starts.

import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { checkKafkaTls, createKafka, type KafkaClientOptions } from '../../connectors/kafka/client.js';
import { type KafkaSecurity, kafkaSecurityFromProperties, type ReadPem } from '../../connectors/kafka/client-config.js';
import { UsageError } from '../errors.js';
import { getLogger } from '../logger.js';

const log = getLogger('kafka-config');

export interface KafkaCliOptions {
  kafkaConfig?: string;
}

/** `--kafka-config`, for every command that talks to Kafka: `.option(...KAFKA_CONFIG_OPTION)`. */
export const KAFKA_CONFIG_OPTION = [
  '--kafka-config <file>',
  'Kafka client properties file (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.ca.location, ...; secrets as ${env:NAME}); see docs/security.md',
] as const;

/** Reads the PEM files a client properties file names; errors name the file, the property and the path. */
function readPemFile(file: string): ReadPem {
  return (path, property) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`${file}: ${property} names ${path}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (!text.includes('-----BEGIN ')) throw new UsageError(`${file}: ${property} names ${path}, which is not a PEM file (no '-----BEGIN' line); convert it, e.g. openssl x509 -in CERT -out cert.pem`);
    return text;
  };
}

/** The security a `--kafka-config` file asks for; undefined without the option. Unused keys are warned about once. */
export async function loadKafkaSecurity(opts: KafkaCliOptions): Promise<KafkaSecurity | undefined> {
  const file = opts.kafkaConfig;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--kafka-config ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a Kafka client properties file`);
  }
  const security = kafkaSecurityFromProperties(text, file, process.env, readPemFile(file));
  if (security.unused.length > 0) log.warn(`${file}: not used by oxbow: ${security.unused.join(', ')}`);
  log.info('Kafka client security', { file, security: security.description });
  return security;
}

/** The client options for `brokers` with the command's `--kafka-config`, its TLS checked first (a thread builds its own client of them). */
export async function kafkaClientOptions(opts: KafkaCliOptions, brokers: string, clientId: string): Promise<KafkaClientOptions> {
  const security = await loadKafkaSecurity(opts);
  await checkKafkaTls(brokers, security);
  return { brokers, clientId, security };
}

/** A kafkajs client for `brokers` with the command's `--kafka-config`, its TLS checked first. */
export async function kafkaClient(opts: KafkaCliOptions, brokers: string, clientId: string): Promise<Kafka> {
  return createKafka(await kafkaClientOptions(opts, brokers, clientId));
}
