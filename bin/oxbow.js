#!/usr/bin/env node
// Entry point of the `oxbow` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import { installRecordDecoder } from '../dist/connectors/kafka/record-decoder.js';
import { main } from '../dist/src/cli/main.js';

// Before any Kafka client fetches: oxbow decodes Kafka's records itself (connectors/kafka/record-decoder.ts).
installRecordDecoder();

/**
 * Every command closes its clients before it returns, so the process ends by itself. Should a client library still
 * hold a socket or timer (kafkajs reconnecting after an outage), the command's result stands: the process exits
 * anyway after this grace period instead of lingering with its work done.
 */
const EXIT_GRACE_MS = 10_000;

function finish(code) {
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write(`oxbow: a connection was still open ${EXIT_GRACE_MS / 1000} s after the command finished; exiting\n`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
}

// A reader that stops early (`oxbow inspect | head`) closes the pipe: end quietly, as other command-line tools do,
// with SIGPIPE's conventional status, instead of a stack trace. Nothing oxbow keeps depends on stdout being read.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

main(process.argv).then(finish, (err) => {
  process.stderr.write(`oxbow: ${err instanceof Error ? err.message : String(err)}\n`);
  finish(1);
});
