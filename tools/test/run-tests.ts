// `npm test`: runs every compiled test with node:test against real Kafka and HDFS, starting them first (and stopping them after) unless given.

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';
import { formatLogRecord, setLogSink } from '../../src/logger.js';
import { repoRootFromHere, servicesConfig } from '../services/config.js';
import { servicesStatus, startServices, stopServices } from '../services/services.js';
import { ensureChromium } from './chromium.js';
import { findTests, isIntegrationTest, needsBrowser, planPhases } from './find-tests.js';
import { addTotals, formatTotals, parseTapTotals, type TestTotals } from './tap-summary.js';

const USAGE = `usage: npm test [-- --unit] [-- <compiled test files>...]

  Builds, then runs dist/test/**/*.test.js with node --test. Unless OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL
  are both set, starts Kafka and HDFS (npm run services) for the run and stops what it started afterwards.
  Files under dist/test/integration/faults/ (they pause and restart the services) run last, one at a time, with the
  unit tests beside them (but those under dist/test/unit/services/, which start service processes of their own).
  --unit               only dist/test/unit (no services)
  OXBOW_TEST_CONCURRENCY  test files run at once (default 2)
  OXBOW_TEST_TIMEOUT      seconds one test file (and each test in it) may take before it fails (default 600)
`;

const say = (line: string) => process.stderr.write(`run-tests: ${line}\n`);

interface Options {
  unit: boolean;
  files: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { unit: false, files: [] };
  for (const arg of argv) {
    if (arg === '--unit') options.unit = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
    else options.files.push(resolve(arg));
  }
  return options;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name}=${raw} must be a positive whole number`);
  return value;
}

/** Runs node --test; resolves with its exit code (128 + signal number when a signal ended it). */
function runNodeTest(files: string[], concurrency: number, env: NodeJS.ProcessEnv, tapFile: string, forward: (child: { kill(signal: NodeJS.Signals): boolean }) => void): Promise<number> {
  const args = [
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${positiveInt('OXBOW_TEST_TIMEOUT', 600) * 1000}`,
    // People read the spec report; the TAP copy only feeds the closing totals line. The TAP reporter also writes a
    // line per file as it ends, and a "still running" line when a minute passes with none ending (file-reporter.ts).
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${fileURLToPath(new URL('./file-reporter.js', import.meta.url))}`,
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ];
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env });
    forward(child);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolveRun(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1)));
  });
}

/** The totals, printed last of all (after the services stopped), where CI looks for them. */
let closingLine: string | undefined;
let interrupted: NodeJS.Signals | undefined;

async function main(): Promise<number> {
  setLogSink((record) => process.stderr.write(formatLogRecord(record) + '\n'));
  const options = parseArgs(process.argv.slice(2));
  const repoRoot = repoRootFromHere();
  let files = options.files;
  if (files.length === 0) {
    const found = await findTests(repoRoot, options.unit ? 'unit' : undefined);
    if (found.stale.length > 0) say(`not running ${found.stale.length} compiled test(s) whose source is gone: ${found.stale.join(', ')}`);
    files = found.files;
  }
  if (files.length === 0) {
    say(`no test files found under ${join(repoRoot, 'dist', 'test')}: did the build run (npm run build)?`);
    return 1;
  }

  const env: NodeJS.ProcessEnv = { ...process.env };
  const given = ['OXBOW_KAFKA_BROKERS', 'OXBOW_WEBHDFS_URL'].filter((name) => (process.env[name] ?? '') !== '');
  const needsServices = files.some((file) => isIntegrationTest(repoRoot, file));
  let startedHere: string[] = [];
  const children = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
  const config = await servicesConfig();
  let runningBefore: string[] = [];

  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted !== undefined) return;
    interrupted = signal;
    say(`${signal}: stopping`);
    // Ctrl-C reaches the test process through the terminal; a plain kill of this process does not.
    for (const child of children) child.kill(signal);
    if (children.size === 0 && startedHere.length === 0) {
      // Interrupted while the services come up: end those this run is starting, so start returns at once.
      void stopServices(config, ['kafka', 'hdfs'].filter((name) => !runningBefore.includes(name)));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tapDir = await mkdtemp(join(tmpdir(), 'oxbow-test-'));
  // Every test's temporary files (its own, and those of the oxbow commands it runs) go under one folder per run,
  // removed when the run passes: tests that leave theirs behind cannot fill the disk run after run.
  const runTmp = await mkdtemp(join(tmpdir(), 'oxbow-test-tmp-'));
  env.TMPDIR = runTmp;
  let passed = false;
  try {
    if (needsServices) {
      if (given.length === 2) {
        say(`using the given services: OXBOW_KAFKA_BROKERS=${env.OXBOW_KAFKA_BROKERS} OXBOW_WEBHDFS_URL=${env.OXBOW_WEBHDFS_URL}`);
      } else if (given.length === 1) {
        throw new UsageError(`only ${given[0]} is set: set both OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL to use your own services, or neither to let the tests start them`);
      } else {
        runningBefore = (await servicesStatus(config)).statuses.filter((s) => s.state !== 'stopped').map((s) => s.name);
        say('starting Kafka and HDFS (npm run services -- start)');
        const started = await startServices(config);
        startedHere = started.started;
        if (interrupted !== undefined) return 130;
        for (const [name, value] of Object.entries(started.env)) {
          env[name] = value;
          say(`${name}=${value}`);
        }
        const reused = ['kafka', 'hdfs'].filter((name) => !startedHere.includes(name));
        if (reused.length > 0) say(`already running, reused and left running: ${reused.join(', ')}`);
      }
    }
    if (interrupted !== undefined) return 130;
    if (files.some((f) => needsBrowser(repoRoot, f))) {
      env.OXBOW_CHROMIUM = await ensureChromium(say);
      say(`OXBOW_CHROMIUM=${env.OXBOW_CHROMIUM}`);
    }
    // Fault tests stop and restart the services every other file uses: they run last (find-tests.ts, planPhases).
    const phases = planPhases(repoRoot, files, positiveInt('OXBOW_TEST_CONCURRENCY', 2));
    let code = 0;
    let totals: TestTotals | undefined;
    const timings: string[] = [];
    let reports = 0;
    for (const phase of phases) {
      const began = Date.now();
      if (phases.length > 1) say(`${phase.name}: ${phase.runs.map((run) => run.files.length).join(' + ')} file(s)`);
      const ended = await Promise.all(phase.runs.map(async (run) => {
        const tapFile = join(tapDir, `report-${reports++}.tap`);
        let running: { kill(signal: NodeJS.Signals): boolean } | undefined;
        const runCode = await runNodeTest(run.files, run.concurrency, env, tapFile, (c) => children.add(running = c));
        if (running !== undefined) children.delete(running);
        const runTotals = parseTapTotals(await readFile(tapFile, 'utf8').catch(() => ''));
        if (runTotals === undefined) say(`node --test ended (exit ${runCode}) without a summary`);
        return { runCode, runTotals };
      }));
      timings.push(`${phase.name} ${((Date.now() - began) / 1000).toFixed(0)} s`);
      for (const { runCode, runTotals } of ended) {
        if (runTotals !== undefined) totals = totals === undefined ? runTotals : addTotals(totals, runTotals);
        if (code === 0) code = runCode;
      }
      if (interrupted !== undefined) break;
    }
    if (totals !== undefined) closingLine = formatTotals(totals);
    say(`time per phase: ${timings.join(', ')}`);
    passed = code === 0 && interrupted === undefined;
    // node --test exits 1 on SIGINT; the conventional code tells scripts the run was interrupted, not failed.
    if (interrupted !== undefined) return interrupted === 'SIGINT' ? 130 : 143;
    return code;
  } finally {
    if (startedHere.length > 0) {
      say(`stopping what this run started: ${startedHere.join(', ')}`);
      await stopServices(config, startedHere);
    }
    await rm(tapDir, { recursive: true, force: true });
    if (passed || (await readdir(runTmp).catch(() => [])).length === 0) await rm(runTmp, { recursive: true, force: true });
    else say(`the tests' temporary files are kept for a look: ${runTmp} (remove it when done)`);
  }
}

main().then(
  (code) => {
    if (closingLine !== undefined) process.stdout.write(`${closingLine}\n`);
    process.exit(code);
  },
  (err: unknown) => {
    say(err instanceof Error ? err.message : String(err));
    process.exit(interrupted !== undefined ? 130 : err instanceof UsageError ? 2 : 1);
  },
);
