// What every CLI command receives: its streams (so tests can run commands in-process) and a place to set the exit code.

export interface CliContext {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  version: string;
  /** A command sets this to report a non-zero exit without throwing (e.g. 2 after a --strict stop). */
  exitCode: number;
}
