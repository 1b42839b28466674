// Runs one conformance case through `oxbow sessionize` in-process: steps become input lines, snapshot_restore a real savepoint file.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { mapAggregate, mapTrigger, sortEmits, type Case, type Emit } from './cases.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** `oxbow sessionize ARGS` with `input` on stdin, in this process. */
export async function sessionize(args: string[], input: string): Promise<CliRun> {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await main(['node', 'oxbow', 'sessionize', ...args], { stdin: Readable.from([input]), stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function outputEmits(stdout: string): Emit[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const o = JSON.parse(l) as { key: string; start: number; end: number; result: unknown };
      return { key: o.key, start: o.start, end: o.end, value: o.result };
    });
}

export async function runCaseThroughCli(c: Case, scratch: string): Promise<void> {
  if (c.kind === 'operator' && c.steps) return runSteps(c, scratch);
  // Event-level cases: events then end of input; every session comes out at the end.
  let gap: number;
  let events: { key: string; ts: number }[];
  let want: Emit[];
  if (c.kind === 'merge-function') {
    const eq = c.event_level_equivalent as { gap_ms: number; events_ts: number[]; sessions: [number, number][] };
    gap = eq.gap_ms;
    events = eq.events_ts.map((ts) => ({ key: 'k', ts }));
    want = eq.sessions.map(([start, end]) => ({ key: 'k', start, end, value: 0 }));
  } else {
    gap = (c.config as { gap_ms: number }).gap_ms;
    events = c.events as { key: string; ts: number }[];
    want = (c.expected as { flink: { start: number; end: number; count: number }[] }).flink.map((s) => ({ key: 'u1', start: s.start, end: s.end, value: s.count }));
  }
  // Explicit watermarks with none given: everything stays open until end of input (with bounded:0ms and a 1ms gap a
  // session would fire as soon as its own event moved the watermark, before the touching event arrives).
  const run = await sessionize(['--gap', `${gap}ms`, '--key-field', 'key', '--time-field', 'ts', '--watermark', 'explicit'], events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  assert.equal(run.code, 0, run.stderr);
  const got = sortEmits(outputEmits(run.stdout));
  if (c.kind === 'merge-function') assert.deepEqual(got.map((e) => [e.start, e.end]), want.map((e) => [e.start, e.end]));
  else assert.deepEqual(got, sortEmits(want));
}

/** Output lines come in processing order, so each step's expected emits are the next slice of the output. */
async function runSteps(c: Case, scratch: string): Promise<void> {
  const t = mapTrigger(c.config?.trigger);
  const args = [
    '--gap', `${c.config!.gap_ms}ms`,
    '--allowed-lateness', `${c.config!.allowed_lateness_ms ?? 0}ms`,
    '--aggregate', mapAggregate(c.config?.aggregate),
    '--key-field', 'key', '--time-field', 'ts',
    '--watermark', 'explicit',
  ];
  if (t.trigger !== 'event-time') args.push('--trigger', t.trigger);
  if (t.purging) args.push('--purging');
  const lateFile = path.join(scratch, `${c.id}.late.jsonl`);
  const savepoint = path.join(scratch, `${c.id}.cli-savepoint.json`);

  // Cut the steps into segments at each snapshot_restore: one CLI run per segment.
  const segments: { lines: string[]; stepIdx: number[] }[] = [{ lines: [], stepIdx: [] }];
  c.steps!.forEach((step, i) => {
    const seg = segments[segments.length - 1]!;
    if (step.op === 'snapshot_restore') segments.push({ lines: [], stepIdx: [] });
    else {
      seg.lines.push(JSON.stringify(step.op === 'event' ? { key: step.key, ts: step.ts, value: step.value } : { watermark: step.ts }));
      seg.stepIdx.push(i);
    }
  });

  let stdout = '';
  let lateLines: string[] = [];
  for (const [n, seg] of segments.entries()) {
    const segArgs = [...args, '--late-output', lateFile];
    if (n > 0) segArgs.push('--from-savepoint', savepoint);
    if (n < segments.length - 1) segArgs.push('--savepoint-on-exit', savepoint);
    const run = await sessionize(segArgs, seg.lines.join('\n') + '\n');
    assert.equal(run.code, 0, `${c.id} segment ${n}: ${run.stderr}`);
    if (n < segments.length - 1) assert.ok(existsSync(savepoint), `${c.id}: savepoint written`);
    stdout += run.stdout;
    lateLines = lateLines.concat(readFileSync(lateFile, 'utf8').split('\n').filter((l) => l !== ''));
  }

  const got = outputEmits(stdout);
  let at = 0;
  for (const [i, step] of c.steps!.entries()) {
    const want = (step.expect_emit ?? []).map((e) => ({ key: e.key, start: e.start, end: e.end, value: e.value }));
    assert.deepEqual(sortEmits(got.slice(at, at + want.length)), sortEmits(want), `${c.id} step ${i} through the CLI`);
    at += want.length;
  }
  assert.deepEqual(got.slice(at), [], `${c.id}: nothing more at end of input`);
  const wantLate = c.steps!.flatMap((s) => s.expect_late ?? []).map((e) => ({ key: e.key, ts: e.ts, value: e.value }));
  assert.deepEqual(lateLines.map((l) => JSON.parse(l) as unknown), wantLate, `${c.id}: --late-output lines`);
}
