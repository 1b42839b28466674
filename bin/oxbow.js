#!/usr/bin/env node
// Entry point of the `oxbow` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import { installKafkaDecoding } from '../dist/connectors/kafka/record-decoder.js';
import { startReaderThreadEarly } from '../dist/connectors/kafka/threaded-reader.js';

// Before any Kafka client fetches: record batches keep their bounds (connectors/kafka/batch-bounds.ts) and oxbow decodes
// Kafka's records itself (connectors/kafka/record-decoder.ts).
installKafkaDecoding();

/** The command's name: the first argument that is neither an option nor the value of a global one. */
function commandName(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--log-level' || args[i] === '--log-format') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

// `oxbow sessions` reads Kafka on a thread of its own (docs/replay.md, "Reading Kafka"): started now, the thread loads
// while the command's modules load below, not after. Only when the command is given Kafka (`--brokers`): a replay of
// the archive alone would pay for loading kafkajs on a thread it never uses. Parallel runs read on their worker
// processes' threads instead.
const args = process.argv.slice(2);
const given = (name) => args.some((a) => a === name || a.startsWith(`${name}=`));
if (commandName(args) === 'sessions' && given('--brokers') && !given('--workers') && process.env.OXBOW_READER_THREAD !== 'off') startReaderThreadEarly();
const { main } = await import('../dist/src/cli/main.js');

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
