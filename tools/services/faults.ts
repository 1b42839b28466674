// Faults for integration tests, done to this state folder's real service: kill -9 and restart keeping data, pause, resume.

import { setTimeout as delay } from 'node:timers/promises';
import { OxbowError } from '../../src/errors.js';
import { getLogger } from '../../src/logger.js';
import type { ServicesConfig } from './config.js';
import { isOurProcess, isStopped, killProcessGroup, signalGroup } from './processes.js';
import { findInstance, launchService, seedService, servicePaths, withStartLock, type ServiceDefinition, type ServiceStatus } from './service.js';

const log = getLogger('services');

export interface RestartResult {
  status: ServiceStatus;
  /** From the call (the kill follows at once) until the service served its kept data again. */
  durationMs: number;
  /** False when the process was already gone (crashed) and only the start was left to do. */
  killed: boolean;
}

function notRunning(config: ServicesConfig, def: ServiceDefinition, what: string): OxbowError {
  return new OxbowError(
    'SERVICE_NOT_RUNNING',
    `cannot ${what} ${def.name}: ${def.title} is not running from ${config.stateDir} (start it with \`npm run services -- start\`)`,
  );
}

/**
 * Kills the service's process group with SIGKILL (a crash: nothing is flushed or closed) and starts it again on
 * the data and the ports it had (its record, not the environment), resolving once it serves that data again.
 * A service whose process already died (its record is still there) is only started again; a stopped one is an error.
 */
export async function restart(config: ServicesConfig, def: ServiceDefinition): Promise<RestartResult> {
  // The lock keeps a concurrent `start` from seeing the dead instance and starting one on empty data.
  return withStartLock(config, def, async () => {
    const began = Date.now();
    const { pid, ours, record } = await findInstance(config, def);
    if (record === undefined || pid === undefined) throw notRunning(config, def, 'restart');
    const { marker } = servicePaths(config, def);
    if (ours) {
      // An instance started before seeds existed, or whose seed a test deleted, gets one now, while it still answers.
      if (!isStopped(pid)) await seedService(def, record.ports);
      log.info('killing (SIGKILL)', { service: def.name, pid });
      await killProcessGroup(pid, () => isOurProcess(pid, marker));
      log.info('killed', { service: def.name, seconds: ((Date.now() - began) / 1000).toFixed(1) });
    }
    const status = await launchService(config, def, record.ports, true);
    const durationMs = Date.now() - began;
    log.info('restarted with its data', { service: def.name, pid: status.pid, seconds: (durationMs / 1000).toFixed(1) });
    return { status, durationMs, killed: ours };
  });
}

/** SIGSTOP to the whole process group: the ports stay open, but nothing answers (a hung broker or NameNode). */
export async function pause(config: ServicesConfig, def: ServiceDefinition): Promise<{ pid: number }> {
  const { pid, ours } = await findInstance(config, def);
  if (pid === undefined || !ours) throw notRunning(config, def, 'pause');
  signalGroup(pid, 'SIGSTOP');
  await untilState(pid, true);
  log.info('paused (SIGSTOP)', { service: def.name, pid });
  return { pid };
}

/** SIGCONT to the whole process group; harmless when it is not paused or not running at all. */
export async function resume(config: ServicesConfig, def: ServiceDefinition): Promise<{ pid?: number; wasPaused: boolean }> {
  const { pid, ours } = await findInstance(config, def);
  if (pid === undefined || !ours) return { wasPaused: false };
  const wasPaused = isStopped(pid);
  signalGroup(pid, 'SIGCONT');
  await untilState(pid, false);
  if (wasPaused) log.info('resumed (SIGCONT)', { service: def.name, pid });
  return { pid, wasPaused };
}

/** Signals are delivered asynchronously: wait (briefly) until the leader shows the state, so the caller acts on a fact. */
async function untilState(pid: number, stopped: boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (isStopped(pid) !== stopped && Date.now() < deadline) await delay(5);
}
