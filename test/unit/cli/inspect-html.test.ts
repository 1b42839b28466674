// The inspect page from known coverage: every gap, overlap, Kafka range and lost range is drawn where its offsets say,
// names from the archive are escaped, and the event-time axis is shared by all partitions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareWithKafka, partitionCoverage } from '../../../src/archive/coverage.js';
import type { ArchiveFileEntry } from '../../../src/archive/partition-index.js';
import { escapeHtml, RANGE_COLOURS, renderInspectPage } from '../../../src/cli/inspect-html.js';

function entry(topic: string, partition: number, start: bigint, next: bigint, minEventTime: number | null = null, maxEventTime: number | null = null): ArchiveFileEntry {
  const name = `${topic}+${partition}+${start}+${next - 1n}.parquet`;
  return {
    path: `/a/topics/${topic}/partition=${partition}/${name}`, name, topic, partition, startOffset: start, endOffset: next - 1n,
    firstOffset: start, lastOffset: next - 1n, nextOffset: next, count: Number(next - start), minEventTime, maxEventTime,
    eventTimeMissing: 0, untimedMinTimestamp: null, format: 'parquet', eventTime: 'field:ts', length: 1000,
  };
}

/** The attributes of every `<rect>` of a kind, in page order. */
function rects(html: string, kind: string): Record<string, string>[] {
  return [...html.matchAll(/<rect ([^>]*)>/g)]
    .map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])))
    .filter((a) => a['data-kind'] === kind);
}

test('gaps, overlaps, Kafka and lost ranges are drawn at their offsets on a bar from the lowest to the highest offset', () => {
  // Files 0..99, 100..199, [gap 200..299], 300..399, 350..449 (overlap 350..399); Kafka holds 250..599.
  const entries = [entry('t', 0, 0n, 100n), entry('t', 0, 100n, 200n), entry('t', 0, 300n, 400n), entry('t', 0, 350n, 450n)];
  const coverage = partitionCoverage('t', 0, entries);
  coverage.kafka = compareWithKafka(coverage, 250n, 600n);
  const html = renderInspectPage({ archive: 'file:///a', generatedAt: new Date(0), partitions: [{ coverage, entries }] });
  const x = (offset: number) => (offset / 600) * 1000; // the bar runs over offsets 0..600
  const drawn = (kind: string) => rects(html, kind).map((r) => [r['data-from'], r['data-to'], Number(r.x), Number(r.width)]);
  const near = (got: unknown[], want: [string, string, number, number]) => {
    assert.deepEqual(got.slice(0, 2), want.slice(0, 2));
    assert.ok(Math.abs((got[2] as number) - want[2]) < 0.01 && Math.abs((got[3] as number) - want[3]) < 0.01, `${got} vs ${want}`);
  };
  near(drawn('gap')[0]!, ['200', '299', x(200), x(100)]);
  near(drawn('overlap')[0]!, ['350', '399', x(350), x(50)]);
  near(drawn('kafka')[0]!, ['250', '599', x(250), x(350)]);
  near(drawn('only-kafka')[0]!, ['450', '599', x(450), x(150)]);
  near(drawn('lost')[0]!, ['200', '249', x(200), x(50)]);
  assert.equal(drawn('gap').length + drawn('overlap').length + drawn('lost').length + drawn('only-kafka').length, 4);
  // Offsets and event times each draw every file once; here no file has event times, so only the offsets bar has them.
  assert.deepEqual(rects(html, 'file').map((r) => r['data-file']), entries.map((e) => e.name));
  assert.match(html, /no event times recorded/);
  assert.equal([...html.matchAll(/<tr data-file=/g)].length, 4, 'a table row per file');
  for (const finding of ['GAP 200..299', 'OVERLAP 350..399', 'LOST 200..249']) assert.ok(html.includes(finding), finding);
  assert.ok(html.includes(`fill="${RANGE_COLOURS.gap}"`));
});

test('a one-offset gap is still at least one unit wide; a partition without findings says so', () => {
  const entries = [entry('t', 1, 0n, 1_000_000n), entry('t', 1, 1_000_001n, 2_000_000n)];
  const coverage = partitionCoverage('t', 1, entries);
  const clean = [entry('t', 2, 0n, 10n)];
  const html = renderInspectPage({ archive: 'file:///a', generatedAt: new Date(0), partitions: [{ coverage, entries }, { coverage: partitionCoverage('t', 2, clean), entries: clean }] });
  const gap = rects(html, 'gap');
  assert.equal(gap.length, 1);
  assert.equal(Number(gap[0]!.width), 1);
  assert.match(html, /<section class="partition" data-topic="t" data-partition="2">.*no gaps, overlaps, foreign files or lost offsets/s);
});

test('event times share one axis across partitions and overlapping files go to separate lanes', () => {
  const a = [entry('t', 0, 0n, 10n, 1000, 2000), entry('t', 0, 10n, 20n, 1500, 3000)];
  const b = [entry('t', 1, 0n, 10n, 3000, 4999)];
  const html = renderInspectPage({ archive: 'file:///a', generatedAt: new Date(0), partitions: [
    { coverage: partitionCoverage('t', 0, a), entries: a }, { coverage: partitionCoverage('t', 1, b), entries: b }] });
  const timed = rects(html, 'file').filter((r) => Number(r['data-from']) >= 1000);
  assert.equal(timed.length, 3);
  const byFile = new Map(timed.map((r) => [r['data-file'], r]));
  // Axis 1000..5000 over 1000 units: 0.25 units per millisecond.
  assert.equal(Number(byFile.get(a[0]!.name)!.x), 0);
  assert.equal(Number(byFile.get(a[1]!.name)!.x), 125);
  assert.equal(Number(byFile.get(b[0]!.name)!.x), 500);
  assert.notEqual(byFile.get(a[0]!.name)!.y, byFile.get(a[1]!.name)!.y, 'overlapping files in different lanes');
});

test('names from the archive are escaped everywhere they appear', () => {
  assert.equal(escapeHtml(`<b a="1">&'`), '&#60;b a=&#34;1&#34;&#62;&#38;&#39;');
  const entries = [entry('t', 0, 0n, 10n)];
  const coverage = partitionCoverage('t', 0, entries, [{ path: '/a/topics/t/partition=0/<script>alert(1)</script>', reason: 'not "ours"' }]);
  const html = renderInspectPage({ archive: 'file:///<img src=x>', generatedAt: new Date(0), partitions: [{ coverage, entries }] });
  assert.ok(!html.includes('<script>') && !html.includes('<img'), 'no markup from names');
  assert.ok(html.includes('FOREIGN /a/topics/t/partition=0/&#60;script&#62;alert(1)&#60;/script&#62;: not &#34;ours&#34;'));
});
