// The public API works as documented: every TypeScript snippet in docs/ is type-checked against the package's entry
// points (`oxbow`, `oxbow/connectors`, resolved through package.json "exports" to the built declarations), so a snippet
// that imports what the package does not export, or calls it wrongly, fails here.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const docs = resolve('docs');
// Two levels below the project root, so a snippet's `../../tools/...` import means what it means in the tests.
const dir = resolve('.oxbow/doc-snippets');

interface Snippet {
  file: string;
  doc: string;
  line: number;
  code: string;
}

function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const doc of readdirSync(docs).filter((f) => f.endsWith('.md')).sort()) {
    const lines = readFileSync(join(docs, doc), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '```ts') continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end]!.trim() !== '```') end++;
      // `export {}` makes a snippet without imports a module too, so snippets do not share one global scope.
      out.push({ file: `${doc.replace(/\.md$/, '')}-${start}.ts`, doc, line: start, code: `${lines.slice(start, end).join('\n')}\nexport {};\n` });
      i = end;
    }
  }
  return out;
}

test('every TypeScript snippet in docs/ compiles against the package entry points', { timeout: 120_000 }, async () => {
  const all = snippets();
  assert.ok(all.length >= 6, `expected the library snippets of docs/, found ${all.length}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const s of all) writeFileSync(join(dir, s.file), s.code);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    extends: '../../tsconfig.json',
    compilerOptions: { noEmit: true, rootDir: '../..', noUnusedLocals: false },
    include: ['*.ts'],
  }));
  const tsc = resolve('node_modules/typescript/bin/tsc');
  const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { maxBuffer: 16 * 1024 * 1024 }).then(
    () => '',
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
  );
  // Name the doc and line of each error rather than the scratch file.
  const named = result.replace(/(?:\.oxbow\/doc-snippets\/)?([\w-]+)-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, doc: string, start: string, line: string) =>
    `docs/${doc}.md:${Number(start) + Number(line)}`);
  assert.equal(named, '', `doc snippets that do not compile:\n${named}`);
});
