// Headless Chromium for the tests that render oxbow's HTML page: find it, or install Debian's `chromium` package when
// the test run may (root with apt-get), so `npm test` on a clean machine needs nothing installed by hand.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Names tried on PATH, in order; `OXBOW_CHROMIUM` (a path) wins over all of them. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'chromium-headless-shell'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to use, or undefined when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.OXBOW_CHROMIUM;
  if (given !== undefined && given !== '') return given;
  for (const name of NAMES) {
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      if (dir !== '' && executable(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

function run(command: string, args: string[], say: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else {
        say(stderr.trim().split('\n').slice(-5).join('\n'));
        reject(new Error(`${command} ${args.join(' ')} exited ${code}`));
      }
    });
  });
}

/**
 * Chromium's path, installing Debian's `chromium` package first when it is missing and this process may (root, apt-get
 * on PATH). Throws a message saying what to install when it cannot.
 */
export async function ensureChromium(say: (line: string) => void): Promise<string> {
  const found = findChromium();
  if (found !== undefined) return found;
  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].find(executable);
  if (aptGet === undefined || process.getuid?.() !== 0) {
    throw new Error('headless Chromium is needed by the inspect --html test and was not found: install Debian\'s chromium package (apt-get install chromium) or set OXBOW_CHROMIUM to a Chromium or Chrome binary');
  }
  say('installing Debian\'s chromium package for the inspect --html test (apt-get install chromium)');
  await run(aptGet, ['update', '-qq'], say);
  await run(aptGet, ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], say);
  const installed = findChromium();
  if (installed === undefined) throw new Error('apt-get installed chromium, yet no chromium binary is on PATH');
  return installed;
}

/** Arguments for a one-shot headless run: root needs --no-sandbox, and no profile or GPU is wanted. */
export function headlessArgs(): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-dev-shm-usage', '--force-device-scale-factor=1'];
}
