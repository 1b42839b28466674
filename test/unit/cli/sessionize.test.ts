// `oxbow sessionize` in-process: output lines, options, bad input, late output, retractions, savepoints and exit codes.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../conformance/cases.js';
import { sessionize } from '../../conformance/cli-runner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'oxbow-sessionize-'));
const lines = (...objs: unknown[]) => objs.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n') + '\n';
const parse = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

const music = lines(
  { userId: 'u1', ts: 0, type: 'song', playlistId: 'dw' },
  { userId: 'u1', ts: 10_000, type: 'song', playlistId: 'dw' },
  { userId: 'u2', ts: 12_000, type: 'search' },
  { userId: 'u1', ts: 25_000, type: 'song', playlistId: 'mix' },
  { userId: 'u1', ts: 30_000, type: 'song', playlistId: 'dw' },
  { userId: 'u1', ts: 45_000, type: 'search' },
  { userId: 'u1', ts: 50_000, type: 'song', playlistId: 'dw' },
);

test('defaults: count, userId/ts, stdout; one line per firing with exactly key, start, end, firing, result', async () => {
  const run = await sessionize(['--gap', '20s'], music);
  assert.equal(run.code, 0);
  assert.equal(run.stderr, '');
  assert.deepEqual(run.stdout.split('\n').filter(Boolean), [
    '{"key":"u2","start":12000,"end":32000,"firing":"on-time","result":1}',
    '{"key":"u1","start":0,"end":70000,"firing":"on-time","result":6}',
  ]);
});

test('listening and playlist-runs (with --playlist) give the case A and case B figures', async () => {
  const a = parse((await sessionize(['--gap', '20s', '--aggregate', 'listening'], music)).stdout);
  assert.deepEqual(a.find((r) => r.key === 'u1')!.result, { songs: 5, events: 6, listeningMs: 50_000 });
  const b = parse((await sessionize(['--gap', '20s', '--aggregate', 'playlist-runs', '--playlist', 'dw'], music)).stdout);
  assert.deepEqual(b.find((r) => r.key === 'u1')!.result, [
    { playlistId: 'dw', songs: 2, firstTs: 0, lastTs: 10_000, lengthMs: 10_000 },
    { playlistId: 'dw', songs: 1, firstTs: 30_000, lastTs: 30_000, lengthMs: 0 },
    { playlistId: 'dw', songs: 1, firstTs: 50_000, lastTs: 50_000, lengthMs: 0 },
  ]);
});

test('--input/--output files, --key-field/--time-field (the old spelling of --event-time), ISO-8601 times', async () => {
  const input = path.join(dir, 'iso.jsonl');
  const output = path.join(dir, 'iso.out.jsonl');
  writeFileSync(input, lines({ user: 'a', at: '2026-11-24T00:00:00Z' }, { user: 'a', at: '2026-11-24T00:00:05.500Z' }));
  const run = await sessionize(['--gap', '10s', '--input', input, '--output', output, '--key-field', 'user', '--time-field', 'at'], '');
  assert.equal(run.code, 0, run.stderr);
  const start = Date.parse('2026-11-24T00:00:00Z');
  assert.deepEqual(parse(readFileSync(output, 'utf8')), [{ key: 'a', start, end: start + 15_500, firing: 'on-time', result: 2 }]);
});

test('bad lines are counted and reported with their line numbers; the run goes on', async () => {
  const run = await sessionize(['--gap', '1s', '--aggregate', 'sum:v', '--max-bad-ratio', '1'], lines({ userId: 'a', ts: 0, v: 1 }, 'not json', { ts: 5 }, { userId: 'a', ts: 'yesterday', v: 1 }, { userId: 'a', ts: 10, v: 'x' }, '[1]', '', { userId: 'a', ts: 20, v: 2 }));
  assert.equal(run.code, 0);
  assert.deepEqual(parse(run.stdout).map((r) => r.result), [3]);
  assert.match(run.stderr, /line 2: not JSON/);
  assert.match(run.stderr, /line 3: no key: field 'userId'/);
  assert.match(run.stderr, /line 4: no time: field 'ts'/);
  assert.match(run.stderr, /line 5: field 'v' is not a number/);
  assert.match(run.stderr, /line 6: not a JSON object/);
  assert.match(run.stderr, /8 lines, 2 events; 5 bad lines skipped/);
});

test('--dead-letter takes the bad lines verbatim instead of stderr', async () => {
  const dead = path.join(dir, 'dead.jsonl');
  const run = await sessionize(['--gap', '1s', '--dead-letter', dead, '--max-bad-ratio', '100%'], lines({ userId: 'a', ts: 0 }, 'oops {', { userId: 'b' }));
  assert.equal(run.code, 0);
  assert.equal(readFileSync(dead, 'utf8'), 'oops {\n{"userId":"b"}\n');
  assert.doesNotMatch(run.stderr, /line 2/);
  assert.match(run.stderr, /2 bad lines skipped \(written to/);
});

test('more bad lines than --max-bad-ratio (default 0.05) fail the run with exit 2 after its output, naming the first', async () => {
  const good = Array.from({ length: 95 }, (_, i) => ({ userId: 'a', ts: i * 10 }));
  const withinDefault = await sessionize(['--gap', '1s'], lines(...good, ...Array.from({ length: 5 }, () => ({ ts: 1 }))));
  assert.equal(withinDefault.code, 0, withinDefault.stderr);
  const wrongKey = await sessionize(['--gap', '1s', '--key-field', 'user'], lines(...good));
  assert.equal(wrongKey.code, 2);
  assert.match(wrongKey.stderr, /95 of 95 records \(100%\) could not be used \(the first: line 1: no key: field 'user'.*--max-bad-ratio 0\.05/);
  const sixPercent = await sessionize(['--gap', '1s'], lines(...good.slice(0, 94), ...Array.from({ length: 6 }, () => ({ ts: 1 }))));
  assert.equal(sixPercent.code, 2, sixPercent.stderr);
  assert.equal(parse(sixPercent.stdout).length, 1, 'the sessions of the good lines are still written');
  const bad = await sessionize(['--gap', '1s', '--max-bad-ratio', '2'], lines(...good));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-bad-ratio: '2' is not a ratio from 0 to 1/);
});

test('--strict stops at the first bad line with exit code 2', async () => {
  const run = await sessionize(['--gap', '1s', '--strict'], lines({ userId: 'a', ts: 0 }, { userId: 'a', ts: 'x' }, { userId: 'a', ts: 5 }));
  assert.equal(run.code, 2);
  assert.match(run.stderr, /line 2: no time.*--strict/);
  assert.equal(run.stdout, '', 'nothing is flushed after a strict stop');
});

test('usage errors name the option and exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--gap', '5 minutes'], /--gap: '5 minutes' is not a duration/],
    [['--gap', '0ms'], /--gap/],
    [['--gap', '1s', '--allowed-lateness', 'soon'], /--allowed-lateness/],
    [['--gap', '1s', '--aggregate', 'median'], /--aggregate: unknown aggregate 'median'/],
    [['--gap', '1s', '--trigger', 'count:0'], /--trigger/],
    [['--gap', '1s', '--trigger', 'continuous:often'], /--trigger/],
    [['--gap', '1s', '--watermark', 'bounded:x'], /--watermark/],
    [['--gap', '1s', '--watermark', 'magic'], /--watermark/],
    [['--gap', '1s', '--watermark', 'bounded:1s', '--bound', '2s'], /--watermark bounded:1s and --bound 2s: give one/],
    [['--gap', '1s', '--event-time', 'kafka-timestamp'], /--event-time kafka-timestamp: JSON lines carry no Kafka record timestamp/],
    [['--gap', '1s', '--event-time', 'a b'], /--event-time: 'a b'/],
    [['--gap', '1s', '--event-time', 'ts', '--time-field', 'at'], /--time-field at and --event-time ts disagree/],
    [['--gap', '1s', '--playlist', 'dw'], /--playlist/],
    [['--gap', '1s', '--input', path.join(dir, 'nope.jsonl')], /--input/],
    [[], /--gap/],
  ];
  for (const [args, pattern] of cases) {
    const run = await sessionize(args, '');
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, pattern, args.join(' '));
  }
});

test('--late-output receives the original lines of late events', async () => {
  const late = path.join(dir, 'late.jsonl');
  const tooLate = '{"userId":"a",  "ts":100, "note":"kept verbatim"}';
  const run = await sessionize(['--gap', '1s', '--late-output', late], lines({ userId: 'a', ts: 100 }, { userId: 'b', ts: 5000 }, tooLate, { userId: 'a', ts: 4500 }));
  assert.equal(run.code, 0);
  assert.equal(readFileSync(late, 'utf8'), tooLate + '\n');
  const without = await sessionize(['--gap', '1s'], lines({ userId: 'b', ts: 5000 }, tooLate));
  assert.match(without.stderr, /1 late event dropped \(give --late-output/);
});

test('--watermark explicit: only {"watermark"} lines move time; --bound D (or bounded:D) lags the max event time by D + 1 ms', async () => {
  const explicit = await sessionize(['--gap', '1s', '--watermark', 'explicit', '--allowed-lateness', '1s'], lines({ userId: 'a', ts: 0 }, { userId: 'a', ts: 99_000 }, { watermark: 999 }, { userId: 'a', ts: 500 }));
  assert.deepEqual(parse(explicit.stdout).map((r) => [r.start, r.end, r.firing, r.result]), [[0, 1000, 'on-time', 1], [0, 1500, 'on-time', 2], [99_000, 100_000, 'on-time', 1]]);
  for (const option of [['--bound', '2s'], ['--watermark', 'bounded:2s']]) {
    const bounded = await sessionize(['--gap', '1s', ...option], lines({ userId: 'a', ts: 0 }, { userId: 'b', ts: 2500 }, { userId: 'a', ts: 800 }, { userId: 'b', ts: 3000 }));
    assert.deepEqual(parse(bounded.stdout).map((r) => [r.key, r.end, r.result]), [['a', 1800, 2], ['b', 4000, 2]], option.join(' '));
  }
});

// Flink's BoundedOutOfOrdernessWatermarks emit max - bound - 1: with bound 0, after b's event at 999 the watermark is 998,
// so a's window [0, 1000) has not fired when a's touching event at 999 arrives, and the two merge. (max - bound would
// fire a's window at 999 first and split the session.)
test('the gap boundary under --bound 0 is Flink\'s: an event of another key at the window\'s last millisecond does not fire it early', async () => {
  const run = await sessionize(['--gap', '1s', '--bound', '0ms'], lines({ userId: 'a', ts: 0 }, { userId: 'b', ts: 999 }, { userId: 'a', ts: 999 }));
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(parse(run.stdout).map((r) => [r.key, r.start, r.end, r.result]).sort(), [['a', 0, 1999, 2], ['b', 999, 1999, 1]]);
});

test('--retractions adds {"retract": true} lines for replaced results', async () => {
  const run = await sessionize(['--gap', '1s', '--allowed-lateness', '10s', '--retractions'], lines({ userId: 'a', ts: 0 }, { userId: 'a', ts: 2000 }, { userId: 'z', ts: 5000 }, { userId: 'a', ts: 1000 }));
  assert.deepEqual(run.stdout.split('\n').filter(Boolean), [
    '{"key":"a","start":0,"end":1000,"firing":"on-time","result":1}',
    '{"key":"a","start":2000,"end":3000,"firing":"on-time","result":1}',
    '{"retract":true,"key":"a","start":0,"end":1000}',
    '{"retract":true,"key":"a","start":2000,"end":3000}',
    '{"key":"a","start":0,"end":3000,"firing":"late","result":3}',
    '{"key":"z","start":5000,"end":6000,"firing":"on-time","result":1}',
  ]);
});

test('stop with savepoint flushes nothing; continuing from it gives the output of one uninterrupted run', async () => {
  const events: unknown[] = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 300; i++) events.push({ userId: `u${Math.floor(rnd() * 8)}`, ts: i * 700 + Math.floor(rnd() * 3000), type: rnd() < 0.5 ? 'song' : 'search', playlistId: 'dw' });
  const args = ['--gap', '2s', '--allowed-lateness', '1s', '--watermark', 'bounded:1500ms', '--aggregate', 'listening', '--trigger', 'continuous:3s', '--retractions'];
  const whole = await sessionize(args, lines(...events));
  for (const cut of [1, 77, 150, 299]) {
    const sp = path.join(dir, `cut-${cut}.json`);
    const first = await sessionize([...args, '--savepoint-on-exit', sp], lines(...events.slice(0, cut)));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /open sessions saved to/);
    const second = await sessionize([...args, '--from-savepoint', sp], lines(...events.slice(cut)));
    assert.equal(second.code, 0, second.stderr);
    assert.equal(first.stdout + second.stdout, whole.stdout, `cut at ${cut}`);
  }
});

test('corrupt, foreign-aggregate and newer savepoints: exit 2, clear message, file untouched', async () => {
  const good = path.join(dir, 'good.json');
  await sessionize(['--gap', '1s', '--savepoint-on-exit', good], lines({ userId: 'a', ts: 0 }));
  const corrupt = path.join(dir, 'corrupt.json');
  writeFileSync(corrupt, readFileSync(good, 'utf8').slice(0, 40));
  const newer = path.join(dir, 'newer.json');
  writeFileSync(newer, JSON.stringify({ ...JSON.parse(readFileSync(good, 'utf8')), formatVersion: 7 }));
  const cases: [string, string[], RegExp][] = [
    [corrupt, [], /corrupt/],
    [good, ['--aggregate', 'listening'], /holds 'count' sessions but this run aggregates 'listening'/],
    [newer, [], /format version 7/],
  ];
  for (const [file, extra, pattern] of cases) {
    const before = readFileSync(file);
    const mtime = statSync(file).mtimeMs;
    const out = path.join(dir, 'should-not-exist.jsonl');
    const run = await sessionize(['--gap', '1s', '--from-savepoint', file, '--savepoint-on-exit', file, '--output', out, ...extra], lines({ userId: 'a', ts: 5 }));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, pattern);
    assert.deepEqual(readFileSync(file), before);
    assert.equal(statSync(file).mtimeMs, mtime);
    assert.equal(existsSync(out), false, 'no output file is created before the savepoint is accepted');
  }
});

test('bin/oxbow.js runs sessionize as a child process', () => {
  const out = execFileSync(process.execPath, [path.join(repoRoot, 'bin/oxbow.js'), 'sessionize', '--gap', '1s'], { input: lines({ userId: 'a', ts: 0 }) });
  assert.equal(out.toString(), '{"key":"a","start":0,"end":1000,"firing":"on-time","result":1}\n');
});

test('events that come after the watermark passed them are reported: the split they cause is not silent', async () => {
  // u1's second event comes 15 s out of order: with --bound 10s the watermark (29,999) has passed it and u1's first
  // session [0, 30000) has fired, so it opens a session of its own where an offline pass makes one.
  const disordered = lines({ userId: 'u1', ts: 0 }, { userId: 'u2', ts: 40_000 }, { userId: 'u1', ts: 25_000 }, { userId: 'u2', ts: 70_000 });
  const tight = await sessionize(['--gap', '30s', '--bound', '10s'], disordered);
  assert.equal(tight.code, 0, tight.stderr);
  assert.equal(parse(tight.stdout).filter((r) => r.key === 'u1').length, 2, 'split');
  assert.match(tight.stderr, /oxbow sessionize: note: 1 event came after the watermark had passed its time \(more out of order than --bound allows\)/);
  // A bound as large as the disorder waits for it: one session, no note.
  const wide = await sessionize(['--gap', '30s', '--bound', '60s'], disordered);
  assert.equal(wide.code, 0, wide.stderr);
  assert.equal(parse(wide.stdout).filter((r) => r.key === 'u1').length, 1);
  assert.equal(wide.stderr, '');
  // With the input's own watermark lines, the note names them.
  const explicit = await sessionize(['--gap', '30s', '--watermark', 'explicit'],
    lines({ userId: 'u1', ts: 0 }, { watermark: 29_999 }, { userId: 'u1', ts: 25_000 }));
  assert.equal(explicit.code, 0, explicit.stderr);
  assert.match(explicit.stderr, /note: 1 event came after the watermark had passed its time \(later than the input's watermark lines allowed\)/);
});
