// The command line of `npm run services -- <command> [service]`, parsed apart from running it so it can be tested.

import { UsageError } from '../../src/errors.js';
import { SERVICE_NAMES, type ServiceName } from './services.js';

export type ServicesCommand =
  | { command: 'start' | 'stop' | 'status' | 'help' }
  /** Faults to one service, for integration tests and by hand. */
  | { command: 'restart' | 'pause' | 'resume'; service: ServiceName };

export const USAGE = `usage: npm run services -- start|stop|status
       npm run services -- restart|pause|resume kafka|hdfs

  start   start Kafka and HDFS unless they already run (a paused one is resumed); always on empty data;
          prints OXBOW_KAFKA_BROKERS=... and OXBOW_WEBHDFS_URL=...
  stop    stop the services started from this state folder and wait until they are gone
  status  say what runs; prints the address lines of the running services; exit 3 unless both run

  restart kill -9 the service and start it again KEEPING its data, on the ports it had; returns once it serves
          that data again (HDFS: a file reads back; Kafka: every partition has a leader); prints how long it took
  pause   SIGSTOP the service's process group: its ports stay open, nothing answers (fails if it is not running)
  resume  SIGCONT it again (harmless when it is not paused)

  Use them in a shell:  export $(npm run -s services -- status)
  Environment: OXBOW_STATE_DIR (default <repo>/.oxbow/services), OXBOW_KAFKA_PORT (9092),
  OXBOW_KAFKA_CONTROLLER_PORT (9093), OXBOW_NAMENODE_PORT (8020), OXBOW_WEBHDFS_PORT (9870),
  OXBOW_SERVICES_PORTS=auto (free ports), OXBOW_SERVICES_TIMEOUT (seconds, default 180), JAVA, MVN.
`;

const BOTH = ['start', 'stop', 'status'] as const;
const ONE = ['restart', 'pause', 'resume'] as const;

function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** The command and its service; a UsageError naming what is wrong (with the usage) for anything else. */
export function parseServicesArgs(argv: readonly string[]): ServicesCommand {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError(`expected a command: start, stop, status, restart, pause or resume\n\n${USAGE}`);
  if (command === '--help' || command === '-h' || command === 'help') return { command: 'help' };
  if ((BOTH as readonly string[]).includes(command)) {
    if (rest.length > 0) throw new UsageError(`${command} acts on both services and takes no argument, got "${rest.join(' ')}"\n\n${USAGE}`);
    return { command: command as (typeof BOTH)[number] };
  }
  if ((ONE as readonly string[]).includes(command)) {
    const [service, ...extra] = rest;
    if (service === undefined || extra.length > 0 || !isServiceName(service)) {
      const got = rest.length === 0 ? 'nothing' : `"${rest.join(' ')}"`;
      throw new UsageError(`${command} needs exactly one service, ${SERVICE_NAMES.join(' or ')}; got ${got}\n\n${USAGE}`);
    }
    return { command: command as (typeof ONE)[number], service };
  }
  throw new UsageError(`unknown command "${command}": expected start, stop, status, restart, pause or resume\n\n${USAGE}`);
}
