// `npm run services -- start|stop|status`: local Kafka and HDFS for development and tests; addresses on stdout, everything else on stderr.

import { UsageError } from '../../src/errors.js';
import { formatLogRecord, setLogSink } from '../../src/logger.js';
import { servicesConfig } from './config.js';
import { servicesStatus, startServices, stopServices } from './services.js';
import type { ServiceStatus } from './service.js';

const USAGE = `usage: npm run services -- start|stop|status

  start   start Kafka and HDFS unless they already run; prints OXBOW_KAFKA_BROKERS=... and OXBOW_WEBHDFS_URL=...
  stop    stop the services started from this state folder and wait until they are gone
  status  say what runs; prints the address lines of the running services; exit 3 unless both run

  Use them in a shell:  export $(npm run -s services -- status)
  Environment: OXBOW_STATE_DIR (default <repo>/.oxbow/services), OXBOW_KAFKA_PORT (9092),
  OXBOW_KAFKA_CONTROLLER_PORT (9093), OXBOW_NAMENODE_PORT (8020), OXBOW_WEBHDFS_PORT (9870),
  OXBOW_SERVICES_PORTS=auto (free ports), OXBOW_SERVICES_TIMEOUT (seconds, default 180), JAVA, MVN.
`;

function describe(status: ServiceStatus): string {
  const where = status.pid === undefined ? '' : ` (pid ${status.pid}, log ${status.logFile})`;
  const why = status.reason === undefined ? '' : `: ${status.reason}`;
  return `${status.name}: ${status.state}${where}${why}`;
}

function printEnv(env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) process.stdout.write(`${name}=${value}\n`);
}

async function run(argv: string[]): Promise<number> {
  const command = argv[0];
  if (argv.length !== 1 || command === undefined) {
    if (argv[0] === '--help' || argv[0] === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    throw new UsageError(`expected exactly one of start, stop, status\n\n${USAGE}`);
  }
  const config = await servicesConfig();
  switch (command) {
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
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}": expected start, stop or status\n\n${USAGE}`);
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
