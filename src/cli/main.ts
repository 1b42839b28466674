// The `oxbow` command line: wires the library and the connectors together; the only place that writes to the console.

import { Command, CommanderError, Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, OxbowError, UsageError } from '../errors.js';
import { formatLogRecord, formatLogRecordJson, LOG_LEVELS, type LogLevel, setLogSink } from '../logger.js';
import { registerArchive } from './commands/archive.js';
import { registerInspect } from './commands/inspect.js';
import { registerProduce } from './commands/produce.js';
import { registerSessionize } from './commands/sessionize.js';
import { registerSessions } from './commands/sessions.js';
import type { CliContext } from './context.js';


export function buildProgram(ctx: CliContext): Command {
  const program = new Command('oxbow')
    .description('Archive Kafka topics to HDFS by offset range, replay them in event time into session windows, and switch to live Kafka without a seam.')
    .version(ctx.version)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .addOption(new Option('--log-level <level>', 'least severe log lines written to stderr (default: OXBOW_LOG_LEVEL, else info)').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'log lines as text or as one JSON object each').choices(['text', 'json']).default('text'))
    // The log options may stand before or after the command's name; they take effect before the command runs.
    .hook('preAction', () => routeLogs(ctx, program.opts()));
  registerArchive(program, ctx);
  registerInspect(program, ctx);
  registerProduce(program, ctx);
  registerSessionize(program, ctx);
  registerSessions(program, ctx);
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  return program;
}

/** Points every logger at stderr, in the chosen format, from the chosen level (flags, else OXBOW_LOG_LEVEL, else info). */
function routeLogs(ctx: CliContext, opts: { logLevel?: string; logFormat?: string }): void {
  const env = process.env.OXBOW_LOG_LEVEL;
  const fromEnv = LOG_LEVELS.find((l) => l === env);
  if (env !== undefined && env !== '' && fromEnv === undefined) {
    throw new UsageError(`OXBOW_LOG_LEVEL=${env} is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
  }
  const level = (opts.logLevel as LogLevel | undefined) ?? fromEnv ?? 'info';
  const format = opts.logFormat === 'json' ? formatLogRecordJson : formatLogRecord;
  setLogSink((record) => ctx.stderr.write(format(record) + '\n'), level, opts.logFormat === 'json' ? 'json' : 'text');
}

/** Runs the CLI and resolves to the process exit code; never throws for expected failures. */
export async function main(argv: string[], ctx: Partial<CliContext> = {}): Promise<number> {
  const full: CliContext = {
    stdin: ctx.stdin ?? process.stdin,
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    version: ctx.version ?? '0.1.0',
    exitCode: EXIT_OK,
  };
  const program = buildProgram(full);
  try {
    // Before the flags are read (a usage error is then printed plainly); the command's own flags may change it.
    routeLogs(full, {});
    await program.parseAsync(argv);
    return full.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE;
    }
    if (err instanceof OxbowError) {
      full.stderr.write(`oxbow: ${err.message}\n`);
      return err.exitCode;
    }
    full.stderr.write(`oxbow: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAILED;
  }
}
