// The build from before the work on one worker's speed (issue 13), made from this repository's history, so that the
// replay benchmark runs it side by side with this build: a figure recorded on another day moves with the machine's
// hour (the same replay measured 1.5x apart on two days of this shared machine), two builds run alternately do not.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchArchiveSpec } from './bench-archive.js';
import { repoRoot, runNode } from './bench-measure.js';

/** The commit the replay's "twice as fast as before" is held against: the last full benchmark run before the work began. */
export const BEFORE_COMMIT = 'f8db018';

/** A built checkout of the commit before: its `bin/oxbow.js` and its compiled benchmark helpers. */
export interface BeforeBuild {
  dir: string;
  bin: string;
}

/** Runs a command to its end; rejects with its last output when it fails. `input` is piped into its stdin. */
function run(cmd: string, args: string[], cwd: string, input?: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    if (input) input.pipe(child.stdin!);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-800)}`))));
  });
}

/**
 * The commit before, built in `workDir/before-<commit>` (reused when already built there): its files from `git
 * archive`, its own locked dependencies (`npm ci`, from the registry), compiled by its own TypeScript; about a minute.
 * Resolves to a reason instead when it cannot be made (no git, a shallow clone without the commit, no registry).
 */
export async function beforeBuild(workDir: string): Promise<BeforeBuild | { skipped: string }> {
  const dir = path.join(workDir, `before-${BEFORE_COMMIT}`);
  const bin = path.join(dir, 'bin/oxbow.js');
  const done = path.join(dir, '.built');
  if (existsSync(done)) return { dir, bin };
  try {
    await run('git', ['cat-file', '-e', `${BEFORE_COMMIT}^{commit}`], repoRoot);
  } catch {
    return { skipped: `commit ${BEFORE_COMMIT} is not in this clone's history (a shallow clone?)` };
  }
  try {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const archive = spawn('git', ['archive', '--format=tar', BEFORE_COMMIT], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] });
    await run('tar', ['-x', '-C', dir], dir, archive.stdout);
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
    await run(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
    await writeFile(done, `${BEFORE_COMMIT}\n`);
    return { dir, bin };
  } catch (err) {
    return { skipped: `building ${BEFORE_COMMIT} failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** The benchmark archive of `spec` at `uri`, written by the build before's own writer (its own format version). */
export async function writeArchiveBefore(build: BeforeBuild, uri: string, spec: BenchArchiveSpec): Promise<void> {
  const script = [
    `const { openArchiveFs } = await import(${JSON.stringify(path.join(build.dir, 'dist/connectors/open-archive-fs.js'))});`,
    `const { writeBenchArchive } = await import(${JSON.stringify(path.join(build.dir, 'dist/tools/bench/bench-archive.js'))});`,
    `const a = openArchiveFs(${JSON.stringify(uri)});`,
    `await writeBenchArchive(a.fs, a.root, ${JSON.stringify(spec)});`,
  ].join('\n');
  await runNode(['--input-type=module', '-e', script]);
}
