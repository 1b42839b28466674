// Where time goes: runs an oxbow command (by default `oxbow sessions` over an archive) under `node --cpu-prof` and prints the top functions by self time (markdown).

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { oxbowBin, repoRoot, runNode } from './bench-measure.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

/** Self time per function (summed over every call site), from the samples of a V8 .cpuprofile. */
export function hotFunctions(profile: CpuProfile, top: number): HotFunction[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node) continue;
    total += dt;
    const f = node.callFrame;
    const file = f.url ? f.url.replace(`file://${repoRoot}/`, '').replace(/^.*node_modules\//, 'node_modules/') : '';
    const where = file ? `${file}:${f.lineNumber + 1}` : '(native)';
    const key = `${f.functionName}@${where}`;
    const entry = self.get(key) ?? { name: f.functionName || '(anonymous)', where, us: 0 };
    entry.us += dt;
    self.set(key, entry);
  }
  return [...self.values()].sort((a, b) => b.us - a.us).slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: total > 0 ? e.us / total : 0 }));
}

/** Profiles `oxbow ARGS` (the main thread: V8 samples it, not the libuv pool). */
export async function profileOxbow(oxbowArgs: string[], top = 15): Promise<{ hot: HotFunction[]; wallS: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oxbow-prof-'));
  try {
    const run = await runNode(['--cpu-prof', `--cpu-prof-dir=${dir}`, oxbowBin, ...oxbowArgs], { ignoreStdout: true });
    const file = (await readdir(dir)).find((n) => n.endsWith('.cpuprofile'));
    if (!file) throw new Error(`bench profile: node --cpu-prof wrote no profile into ${dir}`);
    return { hot: hotFunctions(JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile, top), wallS: run.wallS };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function profileReplay(archiveUri: string, top = 15): Promise<{ hot: HotFunction[]; wallS: number }> {
  return profileOxbow(['sessions', '--archive', archiveUri, '--aggregate', 'listening', '--gap', '30m', '--output', '-'], top);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `bench-profile.js URI [TOP]` profiles a replay of that archive; `bench-profile.js [TOP] -- ARGS...` any oxbow command.
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const uri = argv[0];
  if (!uri || (dash < 0 && uri.startsWith('-'))) {
    process.stderr.write('usage: node dist/tools/bench/bench-profile.js ARCHIVE-URI [TOP]\n       node dist/tools/bench/bench-profile.js [TOP] -- OXBOW-ARGS...\n');
    process.exit(2);
  }
  const args = dash >= 0 ? argv.slice(dash + 1) : ['sessions', '--archive', uri, '--aggregate', 'listening', '--gap', '30m', '--output', '-'];
  const top = Number((dash >= 0 ? argv.slice(0, dash)[0] : argv[1]) ?? 15);
  const { hot, wallS } = await profileOxbow(args, top);
  process.stdout.write(`oxbow ${args.join(' ')}: ${wallS.toFixed(1)} s wall\n\n| self ms | share | function | where |\n|---|---|---|---|\n`);
  for (const h of hot) process.stdout.write(`| ${Math.round(h.selfMs)} | ${(h.share * 100).toFixed(1)}% | ${h.name} | ${h.where} |\n`);
}
