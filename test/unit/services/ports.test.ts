// A port that is already taken stops a service start with the port number in the message.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { OxbowError } from '../../../src/errors.js';
import { freeLoopbackPort } from '../../../tools/services/config.js';
import { assertPortsFree } from '../../../tools/services/ports.js';

function listen(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolveListen, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      resolveListen({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

test('free ports pass', async () => {
  const port = await freeLoopbackPort();
  await assertPortsFree([{ port, what: 'Kafka broker', variable: 'OXBOW_KAFKA_PORT' }]);
});

for (const host of ['127.0.0.1', '0.0.0.0']) {
  test(`a port held on ${host} fails with code PORT_IN_USE, the port, the service and the variable that moves it`, async () => {
    const { server, port } = await listen(host);
    try {
      await assert.rejects(
        assertPortsFree([
          { port: await freeLoopbackPort(), what: 'Kafka KRaft controller', variable: 'OXBOW_KAFKA_CONTROLLER_PORT' },
          { port, what: 'Kafka broker', variable: 'OXBOW_KAFKA_PORT' },
        ]),
        (err: unknown) =>
          err instanceof OxbowError &&
          err.code === 'PORT_IN_USE' &&
          err.message.includes(`port ${port} `) &&
          err.message.includes('Kafka broker') &&
          err.message.includes('OXBOW_KAFKA_PORT'),
      );
    } finally {
      await new Promise((resolveClose) => server.close(resolveClose));
    }
  });
}
