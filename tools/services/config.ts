// Where the local services keep their state and which loopback ports they use, from defaults and OXBOW_* variables.

import { createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';

export interface ServicePorts {
  /** Kafka PLAINTEXT listener, the address clients use. */
  kafka: number;
  /** Kafka KRaft controller listener (only the broker itself talks to it). */
  kafkaController: number;
  /** Kafka SASL_SSL listener (SCRAM-SHA-512, a CA made at first start): for the secured-cluster tests. */
  kafkaSaslSsl: number;
  /** NameNode RPC (hdfs://). */
  namenode: number;
  /** NameNode HTTP, which serves WebHDFS. */
  webhdfs: number;
  /** NameNode HTTPS: WebHDFS over TLS (swebhdfs://), certificate signed by a CA made at first start. */
  webhdfsHttps: number;
}

export interface ServicesConfig {
  /** The repository root: the Maven poms live under it. */
  repoRoot: string;
  /** The one folder holding logs, pid files, data and cached classpaths of every service. */
  stateDir: string;
  ports: ServicePorts;
  /** How long each service may take to answer after its JVM started. */
  startTimeoutMs: number;
  /** How long a stopping JVM may take to exit before its process group gets SIGKILL. */
  stopTimeoutMs: number;
  /** The `java` and `mvn` commands (JAVA, MVN override them). */
  java: string;
  mvn: string;
}

export const DEFAULT_PORTS: ServicePorts = { kafka: 9092, kafkaController: 9093, kafkaSaslSsl: 9094, namenode: 8020, webhdfs: 9870, webhdfsHttps: 9871 };

const PORT_VARIABLES: Record<keyof ServicePorts, string> = {
  kafka: 'OXBOW_KAFKA_PORT',
  kafkaController: 'OXBOW_KAFKA_CONTROLLER_PORT',
  kafkaSaslSsl: 'OXBOW_KAFKA_SASL_SSL_PORT',
  namenode: 'OXBOW_NAMENODE_PORT',
  webhdfs: 'OXBOW_WEBHDFS_PORT',
  webhdfsHttps: 'OXBOW_WEBHDFS_HTTPS_PORT',
};

/** The repository root, found from this compiled file (dist/tools/services/config.js) or its source. */
export function repoRootFromHere(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = here.split(/[\\/]/).includes('dist') ? '../../..' : '../..';
  return resolve(here, up);
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${name}=${raw} is not a port number: give an integer from 1 to 65535, or unset it to use the default`);
  }
  return port;
}

function parseSeconds(name: string, raw: string | undefined, fallbackSeconds: number): number {
  if (raw === undefined || raw === '') return fallbackSeconds * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${name}=${raw} is not a positive number of seconds`);
  }
  return seconds * 1000;
}

/**
 * `count` distinct ports the kernel just gave out on 127.0.0.1 and are free again. Every listener stays open until
 * all are picked, so the kernel cannot hand the same port out twice; another process could take one in between,
 * which start then reports.
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(await new Promise<number>((resolvePort, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          resolvePort(typeof address === 'object' && address !== null ? address.port : 0);
        });
      }));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((closed) => (server.listening ? server.close(closed) : closed(undefined)))));
  }
}

/** One port the kernel just gave out on 127.0.0.1 and is free again. */
export async function freeLoopbackPort(): Promise<number> {
  const [port] = await freeLoopbackPorts(1);
  return port as number;
}

/**
 * Reads the configuration from the environment. OXBOW_SERVICES_PORTS=auto picks free ports for every service
 * (for CI, where another checkout's services may hold the defaults); a port variable set explicitly still wins.
 */
export async function servicesConfig(env: NodeJS.ProcessEnv = process.env): Promise<ServicesConfig> {
  const repoRoot = repoRootFromHere();
  const portsMode = env.OXBOW_SERVICES_PORTS ?? 'default';
  if (portsMode !== 'default' && portsMode !== 'auto') {
    throw new UsageError(`OXBOW_SERVICES_PORTS=${portsMode} is not understood: use "auto" (free ports) or "default"`);
  }
  const ports = { ...DEFAULT_PORTS };
  const unset: (keyof ServicePorts)[] = [];
  for (const key of Object.keys(PORT_VARIABLES) as (keyof ServicePorts)[]) {
    const name = PORT_VARIABLES[key];
    const raw = env[name];
    if (raw !== undefined && raw !== '') ports[key] = parsePort(name, raw);
    else unset.push(key);
  }
  if (portsMode === 'auto') {
    // Ask for as many extra as there are explicit ports, so that dropping any the kernel happens to repeat leaves enough.
    const explicit = new Set((Object.keys(ports) as (keyof ServicePorts)[]).filter((key) => !unset.includes(key)).map((key) => ports[key]));
    const picked = (await freeLoopbackPorts(unset.length + explicit.size)).filter((port) => !explicit.has(port));
    unset.forEach((key, i) => (ports[key] = picked[i] as number));
  }
  const taken = new Map<number, string>();
  for (const key of Object.keys(ports) as (keyof ServicePorts)[]) {
    const other = taken.get(ports[key]);
    if (other !== undefined) {
      throw new UsageError(`${PORT_VARIABLES[key]} and ${other} both ask for port ${ports[key]}: give each service its own port`);
    }
    taken.set(ports[key], PORT_VARIABLES[key]);
  }
  return {
    repoRoot,
    stateDir: resolve(env.OXBOW_STATE_DIR && env.OXBOW_STATE_DIR !== '' ? env.OXBOW_STATE_DIR : join(repoRoot, '.oxbow', 'services')),
    ports,
    startTimeoutMs: parseSeconds('OXBOW_SERVICES_TIMEOUT', env.OXBOW_SERVICES_TIMEOUT, 180),
    stopTimeoutMs: 30_000,
    java: env.JAVA && env.JAVA !== '' ? env.JAVA : 'java',
    mvn: env.MVN && env.MVN !== '' ? env.MVN : 'mvn',
  };
}

export function portVariable(key: keyof ServicePorts): string {
  return PORT_VARIABLES[key];
}
