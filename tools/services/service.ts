// The life cycle every local service shares: find it running, start it once, wait until it really answers, stop exactly it.

import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { OxbowError } from '../../src/errors.js';
import { getLogger } from '../../src/logger.js';
import { resolveClasspath } from './classpath.js';
import type { ServicePorts, ServicesConfig } from './config.js';
import { assertPortsFree, type PortNeed } from './ports.js';
import { isOurProcess, isStopped, readPid, removePidFile, signalGroup, spawnService, stopProcessGroup, tailFile } from './processes.js';

const log = getLogger('services');

/** A probe's verdict: answering, or why not yet. */
export type Probe = { ok: true } | { ok: false; reason: string };

/** What one service (Kafka, HDFS) contributes; the shared life cycle below does the rest. */
export interface ServiceDefinition {
  /** Folder name under the state folder and key in results: `kafka`, `hdfs`. */
  name: string;
  /** For people: `Kafka broker`, `HDFS (NameNode + DataNode)`. */
  title: string;
  /** The pom under tools/services/maven/ whose classpath the JVM runs with. */
  pom: string;
  ports(ports: ServicePorts): PortNeed[];
  /** Lays out the state and returns the JVM's arguments: fresh (data wiped: each start begins empty) unless `ctx.keepData`. */
  prepare(ctx: PrepareContext): Promise<string[]>;
  /** One quick question to the running service; must not hang (every request has a timeout). */
  probe(ports: ServicePorts): Promise<Probe>;
  /**
   * After a restart that kept data, polled once `probe` passes: passes only when the kept data is served again
   * (answering is not enough: HDFS serves its namespace before the DataNode has reported the blocks).
   */
  probeKeptData?(ports: ServicePorts): Promise<Probe>;
  /** Leaves behind what `probeKeptData` reads after a restart; called once a fresh start answers, and before a restart's kill. */
  seed?(ports: ServicePorts): Promise<void>;
  /** The variables the tests read and their values, e.g. OXBOW_KAFKA_BROKERS=127.0.0.1:9092 (`dir`: the service folder). */
  env(ports: ServicePorts, dir: string): Record<string, string>;
}

export interface PrepareContext {
  config: ServicesConfig;
  ports: ServicePorts;
  /** This service's folder under the state folder; every path the JVM gets lies inside it. */
  dir: string;
  classpath: string;
  logFile: string;
  /** A restart: start on the data the killed instance left (no wipe, no format), not on empty data. */
  keepData: boolean;
}

/** `paused`: its process group is stopped by SIGSTOP (see faults.ts), so it is not asked anything. */
export type ServiceState = 'running' | 'not-answering' | 'paused' | 'stopped';

export interface ServiceStatus {
  name: string;
  title: string;
  state: ServiceState;
  pid?: number;
  /** The ports the instance was started with (from its record), else the configured ones. */
  ports: ServicePorts;
  env: Record<string, string>;
  logFile: string;
  /** Why it is not answering, when it is not. */
  reason?: string;
}

export interface ServiceRecord {
  pid: number;
  ports: ServicePorts;
  startedAt: string;
}

export function servicePaths(config: ServicesConfig, def: ServiceDefinition) {
  const dir = join(config.stateDir, def.name);
  return {
    dir,
    pidFile: join(dir, `${def.name}.pid`),
    recordFile: join(dir, 'service.json'),
    logFile: join(dir, `${def.name}.log`),
    // Every argument the JVM gets that names a file contains this, so its command line identifies this instance.
    marker: `${dir}/`,
  };
}

async function readRecord(file: string): Promise<ServiceRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ServiceRecord;
  } catch {
    return undefined;
  }
}

/** This state folder's instance as its files describe it: the pid file's pid, whether that is our live process, and its record. */
export async function findInstance(config: ServicesConfig, def: ServiceDefinition): Promise<{ pid?: number; ours: boolean; record?: ServiceRecord }> {
  const p = servicePaths(config, def);
  const pid = await readPid(p.pidFile);
  const record = await readRecord(p.recordFile);
  return {
    ...(pid === undefined ? {} : { pid }),
    ours: pid !== undefined && isOurProcess(pid, p.marker),
    // A record left by an earlier instance describes neither this pid nor its ports.
    ...(record !== undefined && record.pid === pid ? { record } : {}),
  };
}

export async function serviceStatus(config: ServicesConfig, def: ServiceDefinition): Promise<ServiceStatus> {
  const p = servicePaths(config, def);
  const { pid, ours, record } = await findInstance(config, def);
  const ports = record?.ports ?? config.ports;
  const base = { name: def.name, title: def.title, ports, env: def.env(ports, p.dir), logFile: p.logFile };
  if (pid === undefined || !ours) return { ...base, state: 'stopped' };
  // Asking a stopped JVM would only wait for the probe's timeouts.
  if (isStopped(pid)) return { ...base, state: 'paused', pid, reason: 'its process group is stopped (SIGSTOP); resume it' };
  const probe = await def.probe(ports);
  return probe.ok ? { ...base, state: 'running', pid } : { ...base, state: 'not-answering', pid, reason: probe.reason };
}

function startError(def: ServiceDefinition, logFile: string, what: string, logTail: string): OxbowError {
  return new OxbowError(
    'SERVICE_START',
    `${def.title} ${what}. Its log is ${logFile}; last lines:\n${logTail === '' ? '(empty)' : logTail}`,
  );
}

/** Polls `probe` until it passes, the process dies, or the time is up; polling because a JVM tells no one when it is ready. */
async function waitUntilAnswering(
  def: ServiceDefinition,
  probe: (ports: ServicePorts) => Promise<Probe>,
  ports: ServicePorts,
  alive: () => boolean,
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  const started = Date.now();
  let last: Probe = { ok: false, reason: 'not asked yet' };
  while (Date.now() - started < timeoutMs) {
    if (!alive()) throw startError(def, logFile, 'exited before it answered', await tailFile(logFile, 30));
    last = await probe(ports);
    if (last.ok) {
      log.info('service answers', { service: def.name, seconds: ((Date.now() - started) / 1000).toFixed(1) });
      return;
    }
    await delay(500);
  }
  throw startError(
    def,
    logFile,
    `did not answer within ${Math.round(timeoutMs / 1000)} s (last probe: ${last.ok ? 'ok' : last.reason}; raise OXBOW_SERVICES_TIMEOUT if the machine is just slow)`,
    await tailFile(logFile, 30),
  );
}

export interface StartResult {
  status: ServiceStatus;
  /** False when an instance was already running and nothing was started. */
  started: boolean;
}

/** Ends the process group behind a pid file if it is this instance's, and forgets it. */
export async function stopService(config: ServicesConfig, def: ServiceDefinition): Promise<{ stopped: boolean; how?: 'terminated' | 'killed' }> {
  const p = servicePaths(config, def);
  const pid = await readPid(p.pidFile);
  let result: { stopped: boolean; how?: 'terminated' | 'killed' } = { stopped: false };
  if (pid !== undefined && isOurProcess(pid, p.marker)) {
    log.info('stopping', { service: def.name, pid });
    const how = await stopProcessGroup(pid, () => isOurProcess(pid, p.marker), config.stopTimeoutMs);
    result = { stopped: true, how };
  }
  await removePidFile(p.pidFile);
  await rm(p.recordFile, { force: true });
  return result;
}

/**
 * Holds `<service>/start.lock` (created exclusively, holding our pid) while `fn` runs, so two starts at the same
 * moment cannot both launch a JVM: the second waits for the first, then finds its service running.
 */
export async function withStartLock<T>(config: ServicesConfig, def: ServiceDefinition, fn: () => Promise<T>): Promise<T> {
  const p = servicePaths(config, def);
  const lockFile = join(p.dir, 'start.lock');
  await mkdir(p.dir, { recursive: true });
  const deadline = Date.now() + config.startTimeoutMs + 120_000;
  for (;;) {
    try {
      await writeFile(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readPid(lockFile);
    let holderAlive = false;
    if (holder !== undefined) {
      try {
        process.kill(holder, 0);
        holderAlive = true;
      } catch {
        holderAlive = false;
      }
    }
    if (!holderAlive) {
      // Left by a start that was killed: nobody holds it.
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new OxbowError('SERVICE_START', `${def.title}: another start (pid ${holder}) has held ${lockFile} for too long; stop it or remove the file`);
    }
    // Another process's start cannot be awaited from here, only observed.
    await delay(250);
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

/** Starts the service unless this state folder's instance already runs; resolves once it answers. */
export async function startService(config: ServicesConfig, def: ServiceDefinition): Promise<StartResult> {
  return withStartLock(config, def, () => startUnlocked(config, def));
}

async function startUnlocked(config: ServicesConfig, def: ServiceDefinition): Promise<StartResult> {
  const p = servicePaths(config, def);
  const current = await serviceStatus(config, def);
  if (current.state === 'running') return { status: current, started: false };
  if ((current.state === 'not-answering' || current.state === 'paused') && current.pid !== undefined) {
    // Paused by a test that did not resume it: a start means "make it run", and waiting would only time out.
    if (current.state === 'paused') {
      log.info('paused; resuming it', { service: def.name, pid: current.pid });
      signalGroup(current.pid, 'SIGCONT');
    }
    // Most likely another `start` is bringing it up right now: wait for that one instead of starting a second.
    const pid = current.pid;
    log.info('already starting; waiting for it', { service: def.name, pid });
    await waitUntilAnswering(def, def.probe, current.ports, () => isOurProcess(pid, p.marker), config.startTimeoutMs, p.logFile);
    return { status: await serviceStatus(config, def), started: false };
  }
  return { status: await launchService(config, def, config.ports, false), started: true };
}

/**
 * Launches the JVM on `ports`, on fresh data or (`keepData`, a restart) on the data it had, and resolves once it
 * answers, after a restart once it serves that data again. Whatever fails stops it again. The caller holds the start lock.
 */
export async function launchService(config: ServicesConfig, def: ServiceDefinition, ports: ServicePorts, keepData: boolean): Promise<ServiceStatus> {
  const p = servicePaths(config, def);
  await removePidFile(p.pidFile);
  await assertPortsFree(def.ports(ports));
  const classpath = await resolveClasspath(config, def.pom);
  await mkdir(p.dir, { recursive: true });
  // A restart keeps the log too: what the killed instance wrote last is what a failing test wants to read.
  if (keepData) await appendFile(p.logFile, `\n===== ${new Date().toISOString()} oxbow services: restart keeping data =====\n`);
  else await writeFile(p.logFile, '');
  const args = await def.prepare({ config, ports, dir: p.dir, classpath, logFile: p.logFile, keepData });
  // Ports may have been taken while Maven or a format step ran.
  await assertPortsFree(def.ports(ports));
  const spawned = await spawnService(config.java, args, { cwd: p.dir, logFile: p.logFile, pidFile: p.pidFile });
  const record: ServiceRecord = { pid: spawned.pid, ports, startedAt: new Date().toISOString() };
  await writeFile(p.recordFile, JSON.stringify(record, null, 2) + '\n');
  log.info(keepData ? 'restarted' : 'started', { service: def.name, pid: spawned.pid, log: p.logFile });
  let exited = false;
  void spawned.exited.then(() => (exited = true));
  const ready = async (at: ServicePorts): Promise<Probe> => {
    const answer = await def.probe(at);
    return answer.ok && keepData && def.probeKeptData !== undefined ? def.probeKeptData(at) : answer;
  };
  try {
    await waitUntilAnswering(def, ready, ports, () => !exited && isOurProcess(spawned.pid, p.marker), config.startTimeoutMs, p.logFile);
  } catch (err) {
    await stopService(config, def);
    throw err;
  }
  if (!keepData) await seedService(def, ports);
  return serviceStatus(config, def);
}

/**
 * Runs the definition's `seed`. A failure only warns: start keeps its contract (it answers), and a restart's
 * `probeKeptData` writes a missing seed anew, so the worst case is a restart that checks a little less.
 */
export async function seedService(def: ServiceDefinition, ports: ServicePorts): Promise<void> {
  try {
    await def.seed?.(ports);
  } catch (err) {
    log.warn('could not leave the restart probe behind', { service: def.name, error: (err as Error).message });
  }
}
