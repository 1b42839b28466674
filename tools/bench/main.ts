// `npm run bench [-- --quick] [--only NAME,...]`: runs every benchmark against real Kafka and HDFS, prints one JSON line per figure and a summary table, writes RESULTS.md after a full run.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLogRecord, setLogSink } from '../../src/logger.js';
import { servicesConfig, startServices, stopServices } from '../services/services.js';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';

/** Benchmark modules, in the order the summary lists them; each exports `benchmark: Benchmark`. */
export const modules = ['engine', 'archive', 'replay', 'kcat', 'catch-up', 'memory', 'profiles', 'workers', 'headline'];

const USAGE = `usage: npm run bench [-- --quick] [--only NAME[,NAME]] [--results FILE]

  Runs the benchmarks (${modules.join(', ')}) and prints a JSON line per figure and a summary table.
  --quick      small data, every benchmark together under 3 minutes (CI runs this)
  --only       run only these benchmarks
  --results    write the results page here (only a full run of every benchmark writes tools/bench/RESULTS.md)
  Unless OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL are both set, starts Kafka and HDFS (npm run services)
  for the run and stops what it started afterwards.
`;

interface Args {
  quick: boolean;
  only: string[] | null;
  resultsFile: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: null, resultsFile: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') args.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--results') args.resultsFile = argv[++i] ?? null;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`bench: unknown argument '${arg}'\n\n${USAGE}`);
  }
  const unknown = (args.only ?? []).filter((n) => !modules.includes(n));
  if (args.only && (args.only.length === 0 || unknown.length > 0)) {
    throw new Error(`bench: --only ${unknown.join(',') || '(nothing)'}: choose from ${modules.join(', ')}`);
  }
  return args;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

export function table(rows: BenchRow[]): string {
  const header = '| benchmark | figure | baseline | ratio | goal | met | peak RSS MB |';
  const lines = [header, '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const figure = Number.isFinite(r.value) ? `${fmt(r.value)} ${r.unit}` : (r.notes ?? 'no figure');
    lines.push(
      `| ${r.title} | ${figure} | ${r.baseline ? `${r.baseline.title}: ${fmt(r.baseline.value)} ${r.baseline.unit}` : ''} | ` +
        `${r.ratio === undefined ? '' : r.ratio.toFixed(2)} | ${r.goal ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} | ` +
        `${r.peakRssMb === undefined ? '' : Math.round(r.peakRssMb)} |`,
    );
  }
  return lines.join('\n');
}

/** A row that stands for a benchmark without figures (module missing, or it failed), so the table never hides it. */
function statusRow(name: string, status: 'not built' | 'failed', why: string): BenchRow {
  return { id: `${name}.${status.replace(' ', '-')}`, title: `${name}: ${status}`, value: Number.NaN, unit: '', notes: `${status}: ${why}` };
}

type Loaded = { name: string; bench: Benchmark } | { name: string; missing: string };

async function loadBenchmarks(only: string[] | null): Promise<Loaded[]> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out: Loaded[] = [];
  for (const name of modules) {
    if (only && !only.includes(name)) continue;
    let mod: { benchmark?: Benchmark };
    try {
      mod = (await import(path.join(here, `${name}.js`))) as { benchmark?: Benchmark };
    } catch (err) {
      // Only the module itself being absent is "not built"; a module that fails to load is a failure to see.
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`${name}.js`)) {
        out.push({ name, missing: `tools/bench/${name}.ts does not exist yet` });
        continue;
      }
      throw err;
    }
    if (!mod.benchmark) out.push({ name, missing: `tools/bench/${name}.ts exports no 'benchmark'` });
    else out.push({ name, bench: mod.benchmark });
  }
  return out;
}

export interface BenchRun {
  rows: BenchRow[];
  failed: string[];
  notBuilt: string[];
}

/** Uses the services named in the environment, or starts them; returns how to stop what was started here. */
async function ensureServices(): Promise<{ env: { kafkaBrokers: string; webhdfsUrl: string }; stop: () => Promise<void> }> {
  const kafka = process.env.OXBOW_KAFKA_BROKERS ?? '';
  const hdfs = process.env.OXBOW_WEBHDFS_URL ?? '';
  if (kafka !== '' && hdfs !== '') return { env: { kafkaBrokers: kafka, webhdfsUrl: hdfs }, stop: async () => {} };
  if (kafka !== '' || hdfs !== '') {
    throw new Error('bench: only one of OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL is set: set both to use your own services, or neither to let the bench start them');
  }
  const config = await servicesConfig();
  process.stderr.write('bench: starting Kafka and HDFS (npm run services -- start)\n');
  const started = await startServices(config);
  const reused = ['kafka', 'hdfs'].filter((n) => !started.started.includes(n));
  if (reused.length > 0) process.stderr.write(`bench: already running, reused and left running: ${reused.join(', ')}\n`);
  const brokers = started.env.OXBOW_KAFKA_BROKERS;
  const webhdfs = started.env.OXBOW_WEBHDFS_URL;
  const stop = async (): Promise<void> => {
    if (started.started.length === 0) return;
    process.stderr.write(`bench: stopping what this run started: ${started.started.join(', ')}\n`);
    await stopServices(config, started.started);
  };
  if (!brokers || !webhdfs) {
    await stop();
    throw new Error('bench: the services started but did not report OXBOW_KAFKA_BROKERS and OXBOW_WEBHDFS_URL');
  }
  return { env: { kafkaBrokers: brokers, webhdfsUrl: webhdfs }, stop };
}

export async function runBench(argv: string[]): Promise<BenchRun> {
  const args = parseArgs(argv);
  const loaded = await loadBenchmarks(args.only);
  const services = await ensureServices();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench: ${signal}: stopping the services this run started, then exiting\n`);
    void services.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const workDir = await mkdtemp(path.join(tmpdir(), 'oxbow-bench-'));
  const ctx: BenchContext = { quick: args.quick, workDir, ...services.env };
  const rows: BenchRow[] = [];
  const failed: string[] = [];
  const notBuilt: string[] = [];
  const seconds: string[] = [];
  const started = Date.now();
  // Only a complete full run replaces RESULTS.md; a quick or --only run writes a page only where --results says.
  const writeResults = (!args.quick && args.only === null) || args.resultsFile !== null;
  const resultsFile = args.resultsFile ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../tools/bench/RESULTS.md');
  // The page is rewritten after every benchmark: a long full run cut short still leaves what it measured.
  const saveResults = async (running: string | null): Promise<void> => {
    if (!writeResults) return;
    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB memory, Node ${process.version}`;
    const body = `# Benchmark results\n\nWritten by \`npm run bench${args.quick ? ' -- --quick' : ''}\` on ${new Date().toISOString()}: ${machine}.\n` +
      `${args.quick ? '\n(quick run: small data)\n' : ''}${running ? `\n(partial: the run was still in ${running} when this was written)\n` : ''}\n${table(rows)}\n\n` +
      `Time per benchmark: ${seconds.join(', ') || '-'}; ${((Date.now() - started) / 60_000).toFixed(1)} min in all.` +
      `${failed.length ? ` Failed: ${failed.join(', ')}.` : ''}${notBuilt.length ? ` Not built: ${notBuilt.join(', ')}.` : ''}\n`;
    await writeFile(resultsFile, body + (await readAnalysis(resultsFile)));
  };
  try {
    for (const item of loaded) {
      if ('missing' in item) {
        notBuilt.push(item.name);
        const row = statusRow(item.name, 'not built', item.missing);
        process.stdout.write(JSON.stringify({ bench: item.name, ...row, value: null }) + '\n');
        rows.push(row);
        continue;
      }
      const t0 = Date.now();
      try {
        const got = await item.bench.run(ctx);
        for (const row of got) process.stdout.write(JSON.stringify({ bench: item.name, ...row }) + '\n');
        rows.push(...got);
      } catch (err) {
        failed.push(item.name);
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`bench ${item.name} failed: ${err instanceof Error ? (err.stack ?? message) : message}\n`);
        const row = statusRow(item.name, 'failed', message.split('\n')[0] ?? message);
        process.stdout.write(JSON.stringify({ bench: item.name, ...row, value: null }) + '\n');
        rows.push(row);
      }
      const s = (Date.now() - t0) / 1000;
      seconds.push(`${item.name} ${s.toFixed(0)} s`);
      process.stderr.write(`bench ${item.name}: ${s.toFixed(1)} s\n`);
      const nextUp = loaded[loaded.indexOf(item) + 1];
      await saveResults(nextUp ? nextUp.name : null);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await services.stop();
  }
  process.stdout.write('\n' + table(rows) + '\n');
  if (writeResults) {
    await saveResults(null);
    process.stderr.write(`bench: wrote ${resultsFile}\n`);
  }
  return { rows, failed, notBuilt };
}

/** The analysis below the table survives a re-run: everything from the marker line on is kept. */
async function readAnalysis(file: string): Promise<string> {
  const marker = '\n## Where time goes';
  try {
    const old = await readFile(file, 'utf8');
    const at = old.indexOf(marker);
    return at >= 0 ? old.slice(at) : '';
  } catch {
    return '';
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  setLogSink((record) => process.stderr.write(formatLogRecord(record) + '\n'), 'warn');
  runBench(process.argv.slice(2)).then(
    ({ failed, notBuilt }) => {
      if (notBuilt.length) process.stderr.write(`bench: not built: ${notBuilt.join(', ')}\n`);
      if (failed.length) {
        process.stderr.write(`bench: ${failed.length} benchmark(s) failed: ${failed.join(', ')}\n`);
        process.exitCode = 1;
      }
    },
    (err) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${message.startsWith('bench:') ? '' : 'bench: '}${message}\n`);
      process.exitCode = 1;
    },
  );
}
