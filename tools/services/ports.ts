// Checks that the loopback ports a service needs are free before its JVM starts, so a clash is reported by port number.

import { createServer } from 'node:net';
import { OxbowError } from '../../src/errors.js';

export interface PortNeed {
  port: number;
  /** What needs it, e.g. "Kafka broker". */
  what: string;
  /** The variable that moves it, e.g. OXBOW_KAFKA_PORT. */
  variable: string;
}

/** The error for a port that is already taken (code PORT_IN_USE); the port number is in the message. */
export function portInUseError(need: PortNeed): OxbowError {
  return new OxbowError(
    'PORT_IN_USE',
    `port ${need.port} on 127.0.0.1 (${need.what}) is already in use. If oxbow services from another checkout hold it, ` +
      `stop them there with \`npm run services -- stop\` or reuse them by exporting their OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL; ` +
      `otherwise free the port, or choose another with ${need.variable}=<port> (or OXBOW_SERVICES_PORTS=auto for free ports)`,
  );
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolveListen) => {
    const server = createServer();
    server.once('error', () => resolveListen(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolveListen(true)));
  });
}

/** Throws a PORT_IN_USE error for the first port that cannot be bound on 127.0.0.1. */
export async function assertPortsFree(needs: PortNeed[]): Promise<void> {
  for (const need of needs) {
    if (!(await canListen(need.port))) throw portInUseError(need);
  }
}
