// Every conformance case from fixtures/conformance/cases.json, through the engine library, `oxbow sessionize`, and the
// sessions job path (SessionsJob with the product's decoder, output adapter and checkpoint store).

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  SessionEngine,
  createAggregate,
  listeningAggregate,
  mergeWindows,
  playlistRunsAggregate,
  readSavepoint,
  writeSavepoint,
  type SessionEngineOptions,
  type SessionResult,
  type SessionSink,
} from '../../src/engine/index.js';
import { loadCases, mapAggregate, mapTrigger, sortEmits, type Case, type Emit } from './cases.js';
import { runCaseThroughCli } from './cli-runner.js';
import { runCaseThroughJob } from './job-runner.js';

const cases = loadCases();
const scratch = mkdtempSync(path.join(tmpdir(), 'oxbow-conformance-'));

interface Collected {
  emits: Emit[];
  late: { key: string; ts: number; value: unknown }[];
}

function collector(): { sink: SessionSink; out: Collected } {
  const out: Collected = { emits: [], late: [] };
  const sink: SessionSink = {
    result: (r: SessionResult) => out.emits.push({ key: r.key, start: r.start, end: r.end, value: r.result }),
    retraction: () => {},
    late: (_p, key, ts, event) => out.late.push({ key, ts, value: event.value }),
  };
  return { sink, out };
}

function optionsOf(c: Case): SessionEngineOptions {
  const t = mapTrigger(c.config?.trigger);
  return {
    gapMs: c.config!.gap_ms,
    allowedLatenessMs: c.config!.allowed_lateness_ms ?? 0,
    trigger: t.trigger,
    purging: t.purging,
    aggregate: mapAggregate(c.config?.aggregate),
  };
}

/** Steps through the library; a snapshot_restore goes through a real savepoint file. */
async function runStepsThroughLibrary(c: Case): Promise<void> {
  const options = optionsOf(c);
  let { sink, out } = collector();
  let engine = new SessionEngine(options, sink);
  for (const [i, step] of c.steps!.entries()) {
    out.emits.length = 0;
    out.late.length = 0;
    if (step.op === 'event') engine.processEvent(0, step.key!, step.ts!, { key: step.key, ts: step.ts, value: step.value });
    else if (step.op === 'watermark') engine.advanceWatermark(step.ts!);
    else {
      const file = path.join(scratch, `${c.id}-${i}.savepoint.json`);
      await writeSavepoint(file, engine.snapshot());
      ({ sink, out } = collector());
      engine = SessionEngine.restore(await readSavepoint(file), options, sink, file);
    }
    const want = (step.expect_emit ?? []).map((e) => ({ key: e.key, start: e.start, end: e.end, value: e.value }));
    assert.deepEqual(sortEmits(out.emits), sortEmits(want), `${c.id} step ${i} (${step.op} ${step.key ?? ''} ${step.ts ?? ''}): emitted`);
    const wantLate = (step.expect_late ?? []).map((e) => ({ key: e.key, ts: e.ts, value: e.value }));
    assert.deepEqual(out.late, wantLate, `${c.id} step ${i}: late side output`);
  }
}

/** Events then end of input; the sessions (as [start, end] and result) that come out. */
function sessionsOf(gapMs: number, events: { key: string; ts: number; [f: string]: unknown }[], aggregate = 'count'): Emit[] {
  const { sink, out } = collector();
  const engine = new SessionEngine({ gapMs, aggregate }, sink);
  for (const e of events) engine.processEvent(0, e.key, e.ts, e);
  engine.finish();
  assert.equal(engine.openSessionCount(), 0, 'no session stays open after finish()');
  return sortEmits(out.emits);
}

/** GetInData's SongEvent/SearchEvent records in oxbow's music schema. */
function musicEvent(e: Record<string, unknown>, ts: number): Record<string, unknown> {
  return e.type === 'SongEvent'
    ? { userId: 'u', ts, type: 'song', songId: e.songid, playlistId: e.playlist }
    : { userId: 'u', ts, type: 'search' };
}

function libraryCheck(c: Case): Promise<void> | void {
  if (c.kind === 'operator' && c.steps) return runStepsThroughLibrary(c);
  if (c.id === 'derived-gap-boundary-three-systems') {
    const gap = (c.config as { gap_ms: number }).gap_ms;
    const got = sessionsOf(gap, c.events as { key: string; ts: number }[]);
    const want = (c.expected as { flink: { start: number; end: number; count: number }[] }).flink;
    assert.deepEqual(got.map((e) => ({ start: e.start, end: e.end, count: e.value })), want);
    return;
  }
  if (c.kind === 'merge-function') {
    const input = (c.input_windows as [number, number][]).map(([start, end]) => ({ start, end }));
    const got = mergeWindows(input).map((m) => ({ result: [m.result.start, m.result.end], merged: m.merged.map((w) => [w.start, w.end]) }));
    assert.deepEqual(got, c.expected_merges);
    const eq = c.event_level_equivalent as { gap_ms: number; events_ts: number[]; sessions: [number, number][] };
    const sessions = sessionsOf(eq.gap_ms, eq.events_ts.map((ts) => ({ key: 'k', ts })));
    assert.deepEqual(sessions.map((s) => [s.start, s.end]), eq.sessions);
    return;
  }
  if (Array.isArray(c.input_sequence)) {
    // A search (or another playlist) ends a run; runs are compared by their song ids, in order.
    const seq = c.input_sequence as Record<string, unknown>[];
    const agg = playlistRunsAggregate();
    let acc = agg.createAccumulator();
    seq.forEach((e, i) => (acc = agg.add(acc, i * 1000, musicEvent(e, i * 1000))));
    const runs = agg.getResult(acc);
    const songIdsOf = (r: { firstTs: number; lastTs: number }) =>
      seq.filter((_, i) => i * 1000 >= r.firstTs && i * 1000 <= r.lastTs).map((e) => e.songid);
    assert.deepEqual(runs.map(songIdsOf), c.expected_runs_songids);
    assert.deepEqual(runs.map((r) => r.songs), (c.expected_runs_songids as string[][]).map((ids) => ids.length));
    return;
  }
  if (c.id === 'derived-getindata-caseA-caseB') {
    const gap = (c.config as { gap_ms: number }).gap_ms;
    const events = (c.events as Record<string, unknown>[]).map((e) => musicEvent(e, e.ts as number));
    const expected = c.expected as {
      session_window: [number, number];
      caseA_beam_repo: { duration_s: number; songs: number };
      caseB_discover_weekly_runs: { count: number; length_s: number }[];
    };
    const caseA = sessionsOf(gap, events.map((e) => ({ ...e, key: 'u', ts: e.ts as number })), 'listening');
    assert.equal(caseA.length, 1);
    assert.deepEqual([caseA[0]!.start, caseA[0]!.end], expected.session_window);
    const a = caseA[0]!.value as { songs: number; events: number; listeningMs: number };
    assert.deepEqual({ duration_s: a.listeningMs / 1000, songs: a.songs }, expected.caseA_beam_repo);
    assert.equal(a.events, events.length);
    const { sink, out } = collector();
    const engine = new SessionEngine({ gapMs: gap, aggregate: createAggregate('playlist-runs', { playlist: 'DiscoverWeekly' }) }, sink);
    for (const e of events) engine.processEvent(0, 'u', e.ts as number, e);
    engine.finish();
    const runs = out.emits[0]!.value as { songs: number; lengthMs: number }[];
    assert.deepEqual(runs.map((r) => ({ count: r.songs, length_s: r.lengthMs / 1000 })), expected.caseB_discover_weekly_runs);
    // listening directly through the aggregate interface, merged from two halves.
    const l = listeningAggregate;
    const left = events.slice(0, 3).reduce((acc, e) => l.add(acc, e.ts as number, e), l.createAccumulator());
    const right = events.slice(3).reduce((acc, e) => l.add(acc, e.ts as number, e), l.createAccumulator());
    assert.deepEqual(l.getResult(l.merge(left, right)), a);
    return;
  }
  assert.fail(`conformance case ${c.id} (kind ${c.kind}) has no runner`);
}

describe('conformance', () => {
  test('the fixture copy holds every case', () => {
    assert.ok(cases.length >= 11, `expected the shared cases, found ${cases.length}`);
  });
  for (const c of cases) {
    test(`${c.id} through the library`, () => libraryCheck(c));
    if ((c.kind === 'operator' && c.steps) || c.id === 'derived-gap-boundary-three-systems' || c.kind === 'merge-function') {
      test(`${c.id} through oxbow sessionize`, () => runCaseThroughCli(c, scratch));
    }
    if (c.kind === 'operator' && c.steps) test(`${c.id} through the sessions job path (with a stop and restore at each snapshot)`, () => runCaseThroughJob(c));
  }
});
