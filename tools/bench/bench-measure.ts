// Shared measuring for the benchmarks: medians, A/B runs alternated, and child processes timed with their peak RSS from the OS.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from dist/tools/bench/). */
export const repoRoot = path.resolve(here, '../../..');
/** The CLI users run, so the benchmarks measure what they get. */
export const oxbowBin = path.join(repoRoot, 'bin/oxbow.js');
/** A compiled helper script next to this one (e.g. `bench-consume.js`). */
export const benchScript = (name: string): string => path.join(here, name);

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Runs A and B `n` times each, alternating A, B, A, B, so that drift on a shared, noisy machine (another job, page
 * cache, thermal) hits both sides alike; the ratio of medians is then worth more than either absolute figure.
 */
export async function alternate<A, B>(runA: (i: number) => Promise<A>, runB: (i: number) => Promise<B>, n: number): Promise<{ a: A[]; b: B[] }> {
  const a: A[] = [];
  const b: B[] = [];
  for (let i = 0; i < n; i++) {
    a.push(await runA(i));
    b.push(await runB(i));
  }
  return { a, b };
}

export interface ChildRun {
  wallS: number;
  /** User + system CPU seconds of the child (wall time when /usr/bin/time is missing). */
  cpuS: number;
  /** Peak resident set of the child, from the kernel via /usr/bin/time; undefined without it. */
  peakRssMb: number | undefined;
  stdout: string;
  stderr: string;
  /** The child was stopped by `timeoutMs` with `timeoutSignal` and still exited normally (as SIGINT makes oxbow do). */
  timedOut: boolean;
}

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const TIME_TAG = 'OXBOW_BENCH_TIME';

/** True when peak RSS comes from /usr/bin/time; otherwise children report `process.resourceUsage().maxRSS` themselves. */
export const hasTimeBinary = timeBin !== null;

export interface RunNodeOptions {
  env?: NodeJS.ProcessEnv;
  /** Resolve (instead of reject) on these exit codes; default only 0. */
  okCodes?: number[];
  /** Stop the child after this long; default 20 minutes. */
  timeoutMs?: number;
  /** The signal the timeout sends (default SIGKILL); SIGINT lets `oxbow sessions` stop with its summary (/usr/bin/time ignores it). */
  timeoutSignal?: NodeJS.Signals;
  /** Discard stdout (a replay writing sessions to it) instead of buffering it. */
  ignoreStdout?: boolean;
}

/**
 * Runs `node ARGS` as a child, timed. Under /usr/bin/time the kernel's peak RSS and CPU time come back; without it,
 * a child started with `--bench-rss` (our helper scripts) prints `maxrss KB` itself, else the figure stays undefined.
 */
export function runNode(args: string[], options: RunNodeOptions = {}): Promise<ChildRun> {
  const [cmd, argv] = timeBin
    ? [timeBin, ['-f', `${TIME_TAG} %U %S %M`, process.execPath, ...args]]
    : [process.execPath, args];
  const okCodes = options.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // Its own process group: a timeout reaches node under /usr/bin/time too, which does not forward signals.
    const child = spawn(cmd, argv, { stdio: ['ignore', options.ignoreStdout ? 'ignore' : 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, options.timeoutSignal ?? 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs ?? 20 * 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
      const m = new RegExp(`${TIME_TAG} ([\\d.]+) ([\\d.]+) (\\d+)`).exec(stderr);
      const cleanErr = stderr.replace(new RegExp(`^.*${TIME_TAG}.*$\\n?`, 'm'), '');
      // /usr/bin/time reports "Command exited with non-zero status N" and exits with N itself.
      if (signal !== null || code === null || !okCodes.includes(code)) {
        const why = timedOut ? `was stopped after ${((options.timeoutMs ?? 0) / 1000).toFixed(0)} s and ` : '';
        return reject(new Error(`bench: node ${args.join(' ')} ${why}${signal ? `was killed by ${signal}` : `exited ${code}`}:\n${cleanErr.slice(-1500)}`));
      }
      const selfRss = /^maxrss (\d+)$/m.exec(stdout);
      resolve({
        wallS,
        cpuS: m ? Number(m[1]) + Number(m[2]) : wallS,
        peakRssMb: m ? Number(m[3]) / 1024 : selfRss ? Number(selfRss[1]) / 1024 : undefined,
        stdout,
        stderr: cleanErr,
        timedOut,
      });
    });
  });
}

/**
 * One whole-topic read by a plain consumer script (`bench-consume.js` and the like, `args` after BROKERS TOPIC); its
 * count must be the topic's.
 */
export async function consumeRun(script: string, client: string, brokers: string, topic: string, records: number, args: string[] = []): Promise<ChildRun> {
  const run = await runNode([benchScript(script), brokers, topic, ...args]);
  const read = Number(/^records (\d+)$/m.exec(run.stdout)?.[1]);
  if (read !== records) throw new Error(`bench: the plain ${client} consumer read ${read} records of the ${records} in ${topic}`);
  return run;
}

/** One value of the summary `oxbow sessions` prints on stderr (`  records read   123 (archive 100, kafka 23)`). */
export function summaryField(stderr: string, label: string): string {
  const m = new RegExp(`^\\s+${label}\\s+(.*)$`, 'm').exec(stderr);
  if (!m) throw new Error(`bench: no '${label}' in the summary of oxbow sessions:\n${stderr.slice(-1500)}`);
  return m[1]!.trim();
}

/** The leading number of a summary value (`1234 (archive ...)` → 1234, `12 ms` → 12); NaN for `-`. */
export function summaryNumber(stderr: string, label: string): number {
  const v = summaryField(stderr, label);
  return v === '-' ? Number.NaN : Number(/^-?[\d.]+/.exec(v)?.[0] ?? Number.NaN);
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
