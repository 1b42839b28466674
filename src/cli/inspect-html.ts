// `oxbow inspect --html`: one self-contained page drawing each partition's files over offsets and over event time, with
// gaps, overlaps, what Kafka holds and what retention deleted, and a table of every file. Pure: facts in, HTML out.

import type { CoverageFile, OffsetRange, PartitionCoverage } from '../archive/coverage.js';

export interface PagePartition {
  coverage: PartitionCoverage;
  entries: readonly CoverageFile[];
}

export interface PageFacts {
  /** The archive URI as the user gave it. */
  archive: string;
  generatedAt: Date;
  partitions: readonly PagePartition[];
}

/** The kinds of drawn ranges; each has its colour in the page's style sheet and its name in `data-kind`. */
export type RangeKind = 'file' | 'gap' | 'overlap' | 'kafka' | 'only-kafka' | 'lost';

export const RANGE_COLOURS: Record<RangeKind, string> = {
  file: '#4e79a7',
  gap: '#e15759',
  overlap: '#f28e2b',
  kafka: '#59a14f',
  'only-kafka': '#8cd17d',
  lost: '#7b1fa2',
};
/** Every other file is drawn in this lighter shade, so neighbours stay apart. */
const FILE_ALT = '#a0cbe8';

const WIDTH = 1000;
const ROW = 18;
const LANE = 10;
const MAX_LANES = 8;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const time = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
const span = (r: OffsetRange) => (r.from === r.to ? `${r.from}` : `${r.from}..${r.to}`);
const size = (r: OffsetRange) => r.to - r.from + 1n;

/** A drawn range over [x0, x1) of the bar; at least one pixel wide, so a one-offset gap is still seen. */
function rect(kind: RangeKind, x0: number, x1: number, y: number, height: number, label: string, attrs: string, fill = RANGE_COLOURS[kind]): string {
  const width = Math.max(x1 - x0, 1);
  return `<rect data-kind="${kind}" ${attrs} x="${x0.toFixed(2)}" y="${y}" width="${width.toFixed(2)}" height="${height}" fill="${fill}"><title>${escapeHtml(label)}</title></rect>`;
}

function offsetBar(c: PartitionCoverage, entries: readonly CoverageFile[]): string {
  const k = c.kafka;
  const starts = [c.start, k?.earliest, ...(k?.deletedAndMissing.map((r) => r.from) ?? [])].filter((o): o is bigint => o !== undefined && o !== null);
  const ends = [c.end, k?.latest].filter((o): o is bigint => o !== undefined && o !== null);
  if (starts.length === 0 || ends.length === 0) return '<p class="empty">no offsets: the archive has no files here and Kafka none either</p>';
  const lo = starts.reduce((a, b) => (b < a ? b : a));
  let hi = ends.reduce((a, b) => (b > a ? b : a));
  if (hi <= lo) hi = lo + 1n;
  const scale = WIDTH / Number(hi - lo);
  const x = (offset: bigint) => Number(offset - lo) * scale;
  const at = (kind: RangeKind, r: OffsetRange, row: number, label: string, fill?: string, extra = '') =>
    rect(kind, x(r.from), x(r.to + 1n), row * ROW + 2, ROW - 4, label, `${extra}data-from="${r.from}" data-to="${r.to}"`, fill);
  const parts: string[] = [];
  entries.forEach((e, i) => {
    const r = { from: e.startOffset, to: e.nextOffset - 1n };
    parts.push(at('file', r, 0, `${e.name}: offsets ${span(r)}, ${e.count} records`, i % 2 === 0 ? RANGE_COLOURS.file : FILE_ALT, `data-file="${escapeHtml(e.name)}" `));
  });
  for (const g of c.gaps) parts.push(at('gap', g, 0, `gap ${span(g)}: ${size(g)} offsets in no file`));
  for (const o of c.overlaps) parts.push(at('overlap', o, 0, `overlap ${span(o)} in ${o.files[0]} and ${o.files[1]}`));
  const rows = k === undefined ? 1 : 2;
  if (k !== undefined) {
    if (k.latest > k.earliest) parts.push(at('kafka', { from: k.earliest, to: k.latest - 1n }, 1, `Kafka holds ${k.earliest}..${k.latest - 1n}`));
    if (k.onlyInKafka !== null) parts.push(at('only-kafka', k.onlyInKafka, 1, `only in Kafka ${span(k.onlyInKafka)}: not archived yet`));
    for (const d of k.deletedAndMissing) parts.push(at('lost', d, 1, `lost ${span(d)}: deleted by retention and not in the archive`));
  }
  const labels = k === undefined ? '<span>archive</span>' : '<span>archive</span><span>Kafka</span>';
  return `<div class="bar"><div class="rows">${labels}</div><svg class="offsets" viewBox="0 0 ${WIDTH} ${rows * ROW}" preserveAspectRatio="none" height="${rows * ROW}">${parts.join('')}</svg></div>`
    + `<div class="axis"><span>${lo}</span><span>offsets</span><span>${hi}</span></div>`;
}

/** Files by event-time range, in lanes so overlapping ranges do not hide each other. */
function eventTimeBar(entries: readonly CoverageFile[], lo: number, hi: number): string {
  const timed = entries.filter((e) => e.minEventTime !== null && e.maxEventTime !== null).sort((a, b) => a.minEventTime! - b.minEventTime!);
  if (timed.length === 0) return '<p class="empty">no event times recorded in these files</p>';
  const scale = WIDTH / Math.max(hi - lo, 1);
  const laneEnds: number[] = [];
  const parts = timed.map((e, i) => {
    let lane = laneEnds.findIndex((end) => end < e.minEventTime!);
    if (lane === -1) lane = laneEnds.length < MAX_LANES ? laneEnds.length : laneEnds.indexOf(Math.min(...laneEnds));
    laneEnds[lane] = e.maxEventTime!;
    const x0 = (e.minEventTime! - lo) * scale;
    const x1 = (e.maxEventTime! + 1 - lo) * scale;
    return rect('file', x0, x1, lane * LANE + 1, LANE - 2, `${e.name}: event time ${time(e.minEventTime)} .. ${time(e.maxEventTime)}`,
      `data-file="${escapeHtml(e.name)}" data-from="${e.minEventTime}" data-to="${e.maxEventTime}"`, i % 2 === 0 ? RANGE_COLOURS.file : FILE_ALT);
  });
  const height = laneEnds.length * LANE;
  return `<div class="bar"><div class="rows"><span>files</span></div><svg class="event-time" viewBox="0 0 ${WIDTH} ${height}" preserveAspectRatio="none" height="${height}">${parts.join('')}</svg></div>`
    + `<div class="axis"><span>${time(lo)}</span><span>event time</span><span>${time(hi)}</span></div>`;
}

function findings(c: PartitionCoverage): string[] {
  const items: [string, string][] = [];
  for (const g of c.gaps) items.push(['gap', `GAP ${span(g)} (${size(g)} offsets in no file)`]);
  for (const o of c.overlaps) items.push(['overlap', `OVERLAP ${span(o)} in ${o.files[0]} and ${o.files[1]} (readers dedupe by offset)`]);
  for (const f of c.foreign) items.push(f.connect === undefined ? ['foreign', `FOREIGN ${f.path}: ${f.reason}`] : ['connect', `CONNECT ${f.path}: ${f.connect}`]);
  for (const d of c.kafka?.deletedAndMissing ?? []) items.push(['lost', `LOST ${span(d)}: deleted by retention and not in the archive (${size(d)} offsets)`]);
  return items.map(([kind, text]) => `<li class="finding" data-kind="${kind}">${escapeHtml(text)}</li>`);
}

function fileTable(entries: readonly CoverageFile[]): string {
  const rows = entries.map((e) => `<tr data-file="${escapeHtml(e.name)}"><td>${escapeHtml(e.name)}</td><td>${e.startOffset}..${e.nextOffset - 1n}</td>`
    + `<td class="n">${e.count}</td><td class="n">${e.length}</td><td>${time(e.minEventTime)} .. ${time(e.maxEventTime)}</td>`
    + `<td>${escapeHtml(e.format)}${e.eventTime === null ? '' : ` (${escapeHtml(e.eventTime)})`}</td></tr>`);
  return `<details${entries.length <= 200 ? ' open' : ''}><summary>${entries.length} files</summary><table class="files"><thead><tr><th>file</th><th>offsets</th><th>records</th><th>bytes</th><th>event time</th><th>format</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

function partitionSection({ coverage: c, entries }: PagePartition, eventLo: number, eventHi: number): string {
  const k = c.kafka;
  const facts = `${c.files} files, ${c.records} records, ${c.bytes} bytes, offsets ${c.start === null ? '-' : `${c.start}..${(c.end ?? 0n) - 1n}`} (next ${c.end ?? '-'}), index ${c.indexState}`
    + (k === undefined ? '' : `; Kafka earliest ${k.earliest}, latest ${k.latest}`);
  const list = findings(c);
  return `<section class="partition" data-topic="${escapeHtml(c.topic)}" data-partition="${c.partition}">`
    + `<h2>${escapeHtml(c.topic)}/${c.partition}</h2><p class="facts">${escapeHtml(facts)}</p>`
    + (list.length > 0 ? `<ul class="findings">${list.join('')}</ul>` : '<p class="ok">no gaps, overlaps, foreign files or lost offsets</p>')
    + offsetBar(c, entries) + eventTimeBar(entries, eventLo, eventHi) + fileTable(entries) + '</section>';
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin: 24px 0 4px; }
.meta, .facts, .axis { color: #555; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.bar { display: flex; align-items: flex-start; margin-top: 6px; }
.rows { width: 70px; flex: none; display: flex; flex-direction: column; font-size: 12px; color: #555; }
.rows span { height: ${ROW}px; line-height: ${ROW}px; }
svg { flex: 1; width: 100%; background: #f4f4f4; display: block; }
.axis { display: flex; justify-content: space-between; margin-left: 70px; font-size: 12px; }
.findings li[data-kind=gap], .findings li[data-kind=lost] { color: #b00020; font-weight: 600; }
.ok { color: #2e7d32; }
table.files { border-collapse: collapse; font-size: 12px; margin-top: 4px; }
table.files td, table.files th { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; }
table.files td.n { text-align: right; }
`;

export function renderInspectPage(facts: PageFacts): string {
  const times = facts.partitions.flatMap((p) => [p.coverage.minEventTime, p.coverage.maxEventTime]).filter((t): t is number => t !== null);
  const eventLo = times.length > 0 ? Math.min(...times) : 0;
  const eventHi = times.length > 0 ? Math.max(...times) + 1 : 1;
  const legend = (Object.entries(RANGE_COLOURS) as [RangeKind, string][]).map(([kind, colour]) =>
    `<span><i style="background:${colour}"></i>${{ file: 'file', gap: 'gap', overlap: 'overlap', kafka: 'in Kafka', 'only-kafka': 'only in Kafka', lost: 'lost (deleted, not archived)' }[kind]}</span>`).join('');
  const topics = new Set(facts.partitions.map((p) => p.coverage.topic));
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    + `<title>oxbow inspect: ${escapeHtml(facts.archive)}</title><style>${STYLE}</style></head><body>`
    + `<h1>Archive ${escapeHtml(facts.archive)}</h1>`
    + `<p class="meta">${topics.size} topic(s), ${facts.partitions.length} partition(s); written by oxbow inspect at ${facts.generatedAt.toISOString()}</p>`
    + `<p class="legend">${legend}</p>`
    + (facts.partitions.length === 0 ? '<p class="empty">no topics in this archive</p>' : facts.partitions.map((p) => partitionSection(p, eventLo, eventHi)).join('\n'))
    + '</body></html>\n';
}
