// The layering rule of DESIGN.md, checked on the sources: no import cycle between folders of src/, and only src/cli/
// (which wires the parts) imports connectors/.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve('.');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static and `export … from`), resolved to repository paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) {
    out.push(relative(root, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
  }
  return out;
}

/** The unit of the rule: a folder directly under src/ (`src/engine`), or a file at src/'s top (`src/errors.ts`). */
function unitOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? `src/${parts[1]}` : parts[0] === 'src' ? path : parts[0]!;
}

/** A cycle in the graph (as a list of nodes, first repeated at the end), or null. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

test('the cycle finder finds a cycle when there is one and none otherwise', () => {
  const g = (edges: [string, string][]) => {
    const m = new Map<string, Set<string>>();
    for (const [a, b] of edges) (m.get(a) ?? m.set(a, new Set()).get(a)!).add(b);
    return m;
  };
  assert.deepEqual(findCycle(g([['a', 'b'], ['b', 'c'], ['c', 'a']])), ['a', 'b', 'c', 'a']);
  assert.equal(findCycle(g([['a', 'b'], ['b', 'c'], ['a', 'c']])), null);
});

test('no import cycle between the folders of src/ (src/index.ts, the package entry, excepted)', () => {
  const graph = new Map<string, Set<string>>();
  for (const file of tsFiles(join(root, 'src'))) {
    const from = unitOf(relative(root, file));
    if (from === 'src/index.ts') continue;
    for (const target of importsOf(file)) {
      const to = unitOf(target);
      if (to === from || !to.startsWith('src')) continue;
      (graph.get(from) ?? graph.set(from, new Set()).get(from)!).add(to);
    }
  }
  assert.ok(graph.size > 5, `the import graph was read (${graph.size} folders)`);
  assert.equal(findCycle(graph)?.join(' → ') ?? null, null);
});

test('only src/cli/ imports connectors/', () => {
  const offenders = tsFiles(join(root, 'src'))
    .filter((file) => !relative(root, file).startsWith('src/cli/'))
    .flatMap((file) => importsOf(file).filter((t) => t.startsWith('connectors/')).map((t) => `${relative(root, file)} → ${t}`));
  assert.deepEqual(offenders, []);
});
