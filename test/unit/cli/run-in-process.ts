// Runs an oxbow command in this process (the CLI's own main), collecting what it writes: for tests of commands that
// need no services.

import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main.js';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `oxbow ...args`, its exit code and its output. */
export async function runInProcess(args: string[]): Promise<InProcessRun> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const code = await main(['node', 'oxbow', ...args], { stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
