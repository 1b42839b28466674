// The lines job read from bytes (what `oxbow sessionize` does): wherever the chunks split the input, the same events,
// watermarks, bad lines with their numbers and texts, and late lines as the same input given as text lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionEngine, sessionWindows, type SessionSink } from '../../../src/engine/index.js';
import { parseEventTimeDefinition } from '../../../src/event-time.js';
import { runLinesJob, type LinesJobSpec, type WatermarkMode } from '../../../src/job/lines-job.js';

const input = [
  '\uFEFF{"userId":"u1","ts":1000,"type":"song"}',
  '{"userId":"u1","ts":2000,"type":"song"}\r',
  '',
  '   \t',
  '{"userId":"u2","ts":2500,"type":"search","note":"caf\u00e9"}',
  '{"userId":"u\u00e9","ts":2600,"type":"song"}',
  '{"userId":"u3","ts":"1970-01-01T00:00:03Z","type":"song","nested":{"a":[1,2]}}',
  'not json at all',
  '{"userId":"u3","ts":3100,"type":"song","type":"search"}',
  '[1,2,3]',
  '{"ts":3200,"type":"song"}',
  '{"userId":"u4","ts":"soon","type":"song"}',
  '{"watermark":2900}',
  '{"watermark":"never"}',
  '{"userId":"u1","ts":500,"type":"song"}',
  '{"userId":"u\\"q","ts":4000,"type":"song"}',
  '{"userId":7,"ts":4100,"type":"song","x":1e400}',
  '{"userId":"u5","ts":90000,"type":"song"}\r',
].join('\n');

interface Seen {
  out: string[];
  bad: string[];
  eventLines: string[];
  lines: number;
  events: number;
}

async function run(watermark: WatermarkMode, given: { lines: string[] } | { chunks: Uint8Array[] }, fields: readonly string[] | undefined): Promise<Seen> {
  const seen: Seen = { out: [], bad: [], eventLines: [], lines: 0, events: 0 };
  const sink: SessionSink = {
    result: (r) => seen.out.push(JSON.stringify(['result', r])),
    retraction: (r) => seen.out.push(JSON.stringify(['retract', r])),
    late: (_p, key, ts) => seen.out.push(JSON.stringify(['late', key, ts])),
  };
  const windows = sessionWindows({ gapMs: 1000, aggregate: 'listening', allowedLatenessMs: 0 });
  const engine = new SessionEngine(windows, sink);
  const spec: LinesJobSpec = {
    event: { keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: Number.POSITIVE_INFINITY, fields },
    watermark,
    strict: false,
  };
  async function* chunks(list: Uint8Array[]) {
    for (const c of list) yield c;
  }
  async function* lines(list: string[]) {
    for (const l of list) yield l;
  }
  const result = await runLinesJob(spec, {
    ...('lines' in given ? { lines: lines(given.lines) } : { input: chunks(given.chunks) }),
    engine,
    onBadLine: (n, reason, line) => seen.bad.push(`${n} ${reason} ${JSON.stringify(line)}`),
    onEventLine: (line) => seen.eventLines.push(line),
  });
  engine.finish();
  seen.lines = result.lines;
  seen.events = result.events;
  return seen;
}

test('bytes in any chunking give what the same lines as text give: events, watermarks, bad lines, their numbers and texts', async () => {
  const bytes = new TextEncoder().encode(input);
  // The text reference: lines end at LF, a CR before it is dropped (a BOM is kept, as JSON.parse sees it).
  const textLines = input.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  for (const watermark of [{ explicit: true }, { explicit: false, boundMs: 100 }] as WatermarkMode[]) {
    const want = await run(watermark, { lines: textLines }, undefined);
    assert.ok(want.out.length >= 5 && want.bad.length >= 5, 'the input has results and bad lines');
    for (const fields of [['type'], undefined]) {
      for (const size of [1, 2, 3, 7, 64, bytes.length]) {
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        const got = await run(watermark, { chunks }, fields);
        assert.deepEqual(got, want, `explicit ${watermark.explicit}, fields ${fields}, chunks of ${size}`);
      }
    }
  }
});

test('a last line without LF is read; an input ending in LF has no empty line after it', async () => {
  const one = '{"userId":"a","ts":1,"type":"song"}';
  for (const text of [one, `${one}\n`, `${one}\r\n`]) {
    const got = await run({ explicit: false, boundMs: 0 }, { chunks: [new TextEncoder().encode(text)] }, ['type']);
    assert.equal(got.lines, 1, JSON.stringify(text));
    assert.equal(got.events, 1);
    assert.deepEqual(got.eventLines, [one]);
  }
});
