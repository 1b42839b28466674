// `npm run bench [-- --quick] [--only NAME,...]`: runs every benchmark, prints one JSON line per figure and a summary table, writes RESULTS.md after a full run.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';

/** Benchmark modules, in the order the summary lists them; each exports `benchmark: Benchmark`. */
const modules = ['engine', 'archive', 'replay', 'catch-up', 'memory', 'headline'];

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
    else throw new Error(`bench: unknown argument '${arg}'; use --quick, --only NAME[,NAME] or --results FILE`);
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
    lines.push(
      `| ${r.title} | ${fmt(r.value)} ${r.unit} | ${r.baseline ? `${r.baseline.title}: ${fmt(r.baseline.value)} ${r.baseline.unit}` : ''} | ` +
        `${r.ratio === undefined ? '' : r.ratio.toFixed(2)} | ${r.goal ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} | ` +
        `${r.peakRssMb === undefined ? '' : Math.round(r.peakRssMb)} |`,
    );
  }
  return lines.join('\n');
}

async function loadBenchmarks(only: string[] | null): Promise<Benchmark[]> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out: Benchmark[] = [];
  for (const name of modules) {
    if (only && !only.includes(name)) continue;
    const mod = (await import(path.join(here, `${name}.js`))) as { benchmark?: Benchmark };
    if (!mod.benchmark) throw new Error(`bench: tools/bench/${name}.ts exports no 'benchmark'`);
    out.push(mod.benchmark);
  }
  return out;
}

export async function runBench(argv: string[]): Promise<{ rows: BenchRow[]; failed: string[] }> {
  const args = parseArgs(argv);
  const workDir = await mkdtemp(path.join(tmpdir(), 'oxbow-bench-'));
  const ctx: BenchContext = {
    quick: args.quick,
    workDir,
    ...(process.env.OXBOW_KAFKA_BROKERS ? { kafkaBrokers: process.env.OXBOW_KAFKA_BROKERS } : {}),
    ...(process.env.OXBOW_WEBHDFS_URL ? { webhdfsUrl: process.env.OXBOW_WEBHDFS_URL } : {}),
  };
  const rows: BenchRow[] = [];
  const failed: string[] = [];
  try {
    for (const bench of await loadBenchmarks(args.only)) {
      const started = Date.now();
      try {
        const got = await bench.run(ctx);
        for (const row of got) process.stdout.write(JSON.stringify({ bench: bench.name, ...row }) + '\n');
        rows.push(...got);
      } catch (err) {
        failed.push(bench.name);
        process.stderr.write(`bench ${bench.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }
      process.stderr.write(`bench ${bench.name}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  process.stdout.write('\n' + table(rows) + '\n');
  if (!args.quick || args.resultsFile) {
    const file = args.resultsFile ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../tools/bench/RESULTS.md');
    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
    const body = `# Benchmark results\n\nWritten by \`npm run bench\` on ${new Date().toISOString()} — ${machine}.\n` +
      `${args.quick ? '\n(quick run: small data)\n' : ''}\n${table(rows)}\n`;
    await writeFile(file, body + (await readAnalysis(file)));
  }
  return { rows, failed };
}

/** The hand-written analysis below the table survives a re-run: everything after the marker line is kept. */
async function readAnalysis(file: string): Promise<string> {
  const marker = '\n## Where time goes';
  try {
    const { readFile } = await import('node:fs/promises');
    const old = await readFile(file, 'utf8');
    const at = old.indexOf(marker);
    return at >= 0 ? old.slice(at) : '';
  } catch {
    return '';
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  runBench(process.argv.slice(2)).then(
    ({ failed }) => {
      if (failed.length) {
        process.stderr.write(`bench: ${failed.length} benchmark(s) failed: ${failed.join(', ')}\n`);
        process.exitCode = 1;
      }
    },
    (err) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
