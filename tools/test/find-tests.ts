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

/** The folders of a compiled test's path below dist/test (`['integration', 'faults', 'x.test.js']`). */
function partsOf(repoRoot: string, file: string): string[] {
  return relative(join(repoRoot, 'dist', 'test'), file).split(sep);
}

/** True for a compiled file under dist/test/integration/: those need the real services. */
export function isIntegrationTest(repoRoot: string, file: string): boolean {
  return partsOf(repoRoot, file)[0] === 'integration';
}

/**
 * True for a compiled file under dist/test/integration/faults/: those stop, pause and restart the shared Kafka and
 * HDFS, so they run after every other test file, one at a time, never beside a test that needs the services up.
 */
export function isFaultTest(repoRoot: string, file: string): boolean {
  const parts = partsOf(repoRoot, file);
  return parts[0] === 'integration' && parts[1] === 'faults';
}

/**
 * True for the compiled files under dist/test/unit/services/: they start and stop processes as the services do (the
 * life-cycle test starts a Kafka and an HDFS of its own), so they do not run beside the fault tests.
 */
export function startsServices(repoRoot: string, file: string): boolean {
  const parts = partsOf(repoRoot, file);
  return parts[0] === 'unit' && parts[1] === 'services';
}

/** True for the files that render a page in headless Chromium (the runner installs it first when missing). */
export function needsBrowser(repoRoot: string, file: string): boolean {
  return isIntegrationTest(repoRoot, file) && file.endsWith(`${sep}inspect-html.test.js`);
}

/** One `node --test` process of a phase: its files, so many at a time. */
export interface TestRun {
  files: string[];
  concurrency: number;
}

/** The runs of a phase start together; the next phase starts when they have all ended. */
export interface TestPhase {
  name: string;
  runs: TestRun[];
}

/**
 * The order `npm test` runs `files` in. First every file but the fault tests, `concurrency` at a time, those that start
 * service processes first. Then the fault tests, one at a time, and beside them, in a second process one at a time,
 * the unit tests that start no service processes: they need no service, and the fault tests mostly wait out pauses and
 * restarts. Without fault tests the unit tests run in the first phase. Empty runs and phases are left out.
 */
export function planPhases(repoRoot: string, files: readonly string[], concurrency: number): TestPhase[] {
  const faults = files.filter((f) => isFaultTest(repoRoot, f));
  const beside = faults.length === 0 ? [] : files.filter((f) => !isIntegrationTest(repoRoot, f) && !startsServices(repoRoot, f));
  // Those that start service processes go first: the life-cycle test is among the longest, and started last it ran
  // alone for a minute at the end of the phase.
  const rest = files.filter((f) => !faults.includes(f) && !beside.includes(f));
  const first = [...rest.filter((f) => startsServices(repoRoot, f)), ...rest.filter((f) => !startsServices(repoRoot, f))];
  const phases: TestPhase[] = [
    { name: 'tests', runs: [{ files: first, concurrency }] },
    { name: beside.length > 0 ? 'fault tests (one file at a time), unit tests beside them' : 'fault tests (one file at a time)', runs: [{ files: faults, concurrency: 1 }, { files: beside, concurrency: 1 }] },
  ];
  return phases.map((phase) => ({ ...phase, runs: phase.runs.filter((run) => run.files.length > 0) })).filter((phase) => phase.runs.length > 0);
}
