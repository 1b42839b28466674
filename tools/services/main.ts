// `npm run services -- start|stop|status|restart|pause|resume`: local Kafka and HDFS for development and tests; addresses on stdout, everything else on stderr.

import { UsageError } from '../../src/errors.js';
import { formatLogRecord, setLogSink } from '../../src/logger.js';
import { parseServicesArgs, USAGE } from './cli-args.js';
import { servicesConfig } from './config.js';
import { pauseService, restartService, resumeService, servicesStatus, startServices, stopServices } from './services.js';
import type { ServiceStatus } from './service.js';

function describe(status: ServiceStatus): string {
  const where = status.pid === undefined ? '' : ` (pid ${status.pid}, log ${status.logFile})`;
  const why = status.reason === undefined ? '' : `: ${status.reason}`;
  return `${status.name}: ${status.state}${where}${why}`;
}

function printEnv(env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) process.stdout.write(`${name}=${value}\n`);
}

async function run(argv: string[]): Promise<number> {
  const args = parseServicesArgs(argv);
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = await servicesConfig();
  switch (args.command) {
    case 'start': {
      const result = await startServices(config);
      for (const r of result.results) process.stderr.write(`${r.started ? 'started' : 'already running'}: ${describe(r.status)}\n`);
      printEnv(result.env);
      return 0;
    }
    case 'stop': {
      for (const r of await stopServices(config)) process.stderr.write(`${r.name}: ${r.stopped ? 'stopped' : 'was not running'}\n`);
      return 0;
    }
    case 'status': {
      const { statuses, env } = await servicesStatus(config);
      for (const s of statuses) process.stderr.write(`${describe(s)}\n`);
      printEnv(env);
      return statuses.every((s) => s.state === 'running') ? 0 : 3;
    }
    case 'restart': {
      const result = await restartService(args.service, config);
      const how = result.killed ? 'killed and restarted' : 'was not running (crashed?); started again';
      process.stderr.write(`${how} with its data in ${(result.durationMs / 1000).toFixed(1)} s: ${describe(result.status)}\n`);
      printEnv(result.status.env);
      return 0;
    }
    case 'pause': {
      const { pid } = await pauseService(args.service, config);
      process.stderr.write(`${args.service}: paused (pid ${pid}); resume with: npm run services -- resume ${args.service}\n`);
      return 0;
    }
    case 'resume': {
      const { pid, wasPaused } = await resumeService(args.service, config);
      const what = pid === undefined ? 'not running; nothing to resume' : wasPaused ? `resumed (pid ${pid})` : `was not paused (pid ${pid})`;
      process.stderr.write(`${args.service}: ${what}\n`);
      return 0;
    }
  }
}

setLogSink((record) => process.stderr.write(formatLogRecord(record) + '\n'));
run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`services: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
