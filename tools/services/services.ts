// Kafka and HDFS together: start both in parallel, stop both, report both, and faults to one; the functions `npm test`, benchmarks and integration tests call in-process.

import { OxbowError, UsageError } from '../../src/errors.js';
import { servicesConfig, type ServicesConfig } from './config.js';
import { pause, restart, resume, type RestartResult } from './faults.js';
import { hdfsService } from './hdfs.js';
import { kafkaService } from './kafka.js';
import { serviceStatus, startService, stopService, type ServiceDefinition, type ServiceStatus, type StartResult } from './service.js';

export const SERVICES: readonly ServiceDefinition[] = [kafkaService, hdfsService];

export const SERVICE_NAMES = ['kafka', 'hdfs'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

function definition(name: ServiceName): ServiceDefinition {
  const def = SERVICES.find((d) => d.name === name);
  if (def === undefined) throw new UsageError(`unknown service "${String(name)}": expected ${SERVICES.map((d) => d.name).join(' or ')}`);
  return def;
}

export interface ServicesStart {
  results: StartResult[];
  /** Names of the services this call started (the others were already running). */
  started: string[];
  /** OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL for the running services. */
  env: Record<string, string>;
}

function envOf(statuses: ServiceStatus[]): Record<string, string> {
  return Object.assign({}, ...statuses.filter((s) => s.state === 'running').map((s) => s.env)) as Record<string, string>;
}

/**
 * Starts whatever of Kafka and HDFS is not already running from this state folder, both at once, and resolves
 * when both answer. If one fails, the other is stopped again when this call started it, and the error names the failed one.
 */
export async function startServices(config?: ServicesConfig): Promise<ServicesStart> {
  const cfg = config ?? (await servicesConfig());
  const settled = await Promise.allSettled(SERVICES.map((def) => startService(cfg, def)));
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.all(
      settled.map((s, i) => (s.status === 'fulfilled' && s.value.started ? stopService(cfg, SERVICES[i] as ServiceDefinition) : undefined)),
    );
    if (failures.length === 1) throw failures[0];
    // Both failed: one error with both messages, keeping the code when it is the same (two taken ports stay PORT_IN_USE).
    const codes = new Set(failures.map((f) => (f instanceof OxbowError ? f.code : 'SERVICE_START')));
    const code = codes.size === 1 ? [...codes][0] ?? 'SERVICE_START' : 'SERVICE_START';
    const messages = [...new Set(failures.map((f) => (f instanceof Error ? f.message : String(f))))];
    throw new OxbowError(code, messages.join('\n\n'), { cause: failures[0] });
  }
  const results = settled.map((s) => (s as PromiseFulfilledResult<StartResult>).value);
  return {
    results,
    started: results.filter((r) => r.started).map((r) => r.status.name),
    env: envOf(results.map((r) => r.status)),
  };
}

/** Stops the services this state folder started (only those: by pid file, whole process group) and waits until they are gone. */
export async function stopServices(config?: ServicesConfig, names?: readonly string[]): Promise<{ name: string; stopped: boolean }[]> {
  const cfg = config ?? (await servicesConfig());
  const chosen = SERVICES.filter((def) => names === undefined || names.includes(def.name));
  return Promise.all(chosen.map(async (def) => ({ name: def.name, stopped: (await stopService(cfg, def)).stopped })));
}

/** What runs now, asked of the processes and the services themselves, not of the pid files alone. */
export async function servicesStatus(config?: ServicesConfig): Promise<{ statuses: ServiceStatus[]; env: Record<string, string> }> {
  const cfg = config ?? (await servicesConfig());
  const statuses = await Promise.all(SERVICES.map((def) => serviceStatus(cfg, def)));
  return { statuses, env: envOf(statuses) };
}

/**
 * Kills the service (SIGKILL to its process group: a crash) and starts it again with its data, on the ports it had;
 * resolves once it serves that data again (HDFS: a file written before reads back; Kafka: every partition has a leader).
 */
export async function restartService(name: ServiceName, config?: ServicesConfig): Promise<RestartResult> {
  return restart(config ?? (await servicesConfig()), definition(name));
}

/** Freezes the service (SIGSTOP to its process group): connections open, nothing answers. Fails when it is not running. */
export async function pauseService(name: ServiceName, config?: ServicesConfig): Promise<{ pid: number }> {
  return pause(config ?? (await servicesConfig()), definition(name));
}

/** Lets a paused service go on (SIGCONT); harmless when it is not paused. */
export async function resumeService(name: ServiceName, config?: ServicesConfig): Promise<{ pid?: number; wasPaused: boolean }> {
  return resume(config ?? (await servicesConfig()), definition(name));
}

export { servicesConfig };
export type { RestartResult, ServicesConfig, ServiceStatus };
