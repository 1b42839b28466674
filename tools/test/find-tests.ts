// Finds the compiled test files to run, leaving out stale ones whose TypeScript source was deleted since the last build.

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface FoundTests {
  /** Absolute paths of dist/test/**\/*.test.js with a source, sorted. */
  files: string[];
  /** Compiled tests whose test/**\/*.test.ts is gone (tsc never deletes outputs); reported, not run. */
  stale: string[];
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.isFile() && entry.name.endsWith('.test.js') ? [path] : [];
    }),
  );
  return nested.flat();
}

/** Every compiled test under `<repoRoot>/dist/test/<subdir>` (all of dist/test when `subdir` is omitted). */
export async function findTests(repoRoot: string, subdir?: string): Promise<FoundTests> {
  const distTest = join(repoRoot, 'dist', 'test');
  const compiled = (await walk(subdir === undefined ? distTest : join(distTest, subdir))).sort();
  const files: string[] = [];
  const stale: string[] = [];
  for (const file of compiled) {
    const source = join(repoRoot, 'test', relative(distTest, file)).replace(/\.js$/, '.ts');
    (existsSync(source) ? files : stale).push(file);
  }
  return { files, stale };
}

/** True for a compiled file under dist/test/integration/: those need the real services. */
export function isIntegrationTest(repoRoot: string, file: string): boolean {
  return relative(join(repoRoot, 'dist', 'test'), file).split(sep)[0] === 'integration';
}

/**
 * True for a compiled file under dist/test/integration/faults/: those stop, pause and restart the shared Kafka and
 * HDFS, so they run after every other test file, one at a time, never beside a test that needs the services up.
 */
export function isFaultTest(repoRoot: string, file: string): boolean {
  const parts = relative(join(repoRoot, 'dist', 'test'), file).split(sep);
  return parts[0] === 'integration' && parts[1] === 'faults';
}

/** True for the files that render a page in headless Chromium (the runner installs it first when missing). */
export function needsBrowser(repoRoot: string, file: string): boolean {
  return isIntegrationTest(repoRoot, file) && file.endsWith(`${sep}inspect-html.test.js`);
}
