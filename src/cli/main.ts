// The `oxbow` command line: wires the library and the connectors together; the only place that writes to the console.

import { Command, CommanderError } from 'commander';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, OxbowError } from '../errors.js';
import { formatLogRecord, setLogSink } from '../logger.js';
import { registerArchive } from './commands/archive.js';
import { registerInspect } from './commands/inspect.js';
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
    });
  registerArchive(program, ctx);
  registerInspect(program, ctx);
  registerSessionize(program, ctx);
  registerSessions(program, ctx);
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  return program;
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
  setLogSink((record) => full.stderr.write(formatLogRecord(record) + '\n'), process.env.OXBOW_LOG_LEVEL === 'debug' ? 'debug' : 'info');
  const program = buildProgram(full);
  try {
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
