// `oxbow inspect --html` on a known archive with a known gap, lost offsets and an unarchived tail, rendered in headless
// Chromium: the rendered DOM and a screenshot must both show them where Kafka's own offsets and the removed file say.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RANGE_COLOURS } from '../../src/cli/inspect-html.js';
import { findChromium, headlessArgs } from '../../tools/test/chromium.js';
import { brokers, filledTopic, kafka, runCli, topicOffsets } from './archive-support.js';
import { decodePng, rowsOfColour } from './png-support.js';

const run = promisify(execFile);

function chromium(): string {
  const path = findChromium();
  assert.ok(path !== undefined, 'no headless Chromium: npm test installs Debian\'s chromium package, or set OXBOW_CHROMIUM');
  return path;
}

/** The markup of one partition's section in the rendered DOM. */
function section(dom: string, topic: string, partition: number): string {
  const start = dom.indexOf(`<section class="partition" data-topic="${topic}" data-partition="${partition}">`);
  assert.ok(start >= 0, `no section for ${topic}/${partition}`);
  return dom.slice(start, dom.indexOf('</section>', start));
}

const rectsOf = (html: string, kind: string) =>
  [...html.matchAll(new RegExp(`<rect data-kind="${kind}"[^>]*data-from="(\\d+)" data-to="(\\d+)"`, 'g'))].map((m) => [BigInt(m[1]!), BigInt(m[2]!)]);

test('inspect --html draws a removed file as a gap, retention\'s deletions as lost and the unarchived tail, in the DOM and on screen', { timeout: 240_000 }, async () => {
  const browser = chromium();
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-html-'));
  try {
    const topic = await filledTopic('oxbow-it-html', 2, 2000);
    const archive = `file://${dir}/archive`;
    const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', 'parquet',
      '--rotate-records', '100', '--event-time', 'ts', '--group', `${topic}-g`, '--until-caught-up']);
    assert.equal(archived.code, 0, archived.stderr);
    const archiveEnd = (await topicOffsets(topic)).find((o) => o.partition === 0)!.latest;

    // The known damage: the third file of partition 0 removed, Kafka's log start moved into its range, 100 more records.
    const folder = join(dir, 'archive', 'topics', topic, 'partition=0');
    const files = (await readdir(folder)).filter((n) => n.endsWith('.parquet'))
      .map((name) => ({ name, start: BigInt(name.split('+')[2]!) })).sort((a, b) => (a.start < b.start ? -1 : 1));
    assert.ok(files.length >= 5, `partition 0 has ${files.length} files`);
    const gap = [files[2]!.start, files[3]!.start - 1n];
    await rm(join(folder, files[2]!.name));
    const admin = kafka().admin();
    await admin.connect();
    try {
      // kafkajs finds the partition's leader in its metadata cache, which a fresh topic is not in until fetched.
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(gap[0]! + 50n) }] });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ partition: 0, key: `late${i}`, value: JSON.stringify({ ts: 1_732_406_400_000 + i }) })) });
    await producer.disconnect();
    const kafka0 = (await topicOffsets(topic)).find((o) => o.partition === 0)!;
    assert.equal(kafka0.earliest, gap[0]! + 50n, 'Kafka moved its log start');
    assert.equal(kafka0.latest, archiveEnd + 100n);

    const page = join(dir, 'page.html');
    const inspected = await runCli(['inspect', '--archive', archive, '--topic', topic, '--brokers', brokers(), '--html', page]);
    assert.equal(inspected.code, 1, `a gap and lost offsets are findings (exit 1):\n${inspected.stdout}${inspected.stderr}`);
    assert.match(inspected.stderr, /page written to/);

    // The DOM as Chromium parsed it.
    const { stdout: dom } = await run(browser, [...headlessArgs(), '--dump-dom', `file://${page}`], { timeout: 90_000, maxBuffer: 64 << 20 });
    const p0 = section(dom, topic, 0);
    assert.deepEqual(rectsOf(p0, 'gap'), [gap]);
    assert.deepEqual(rectsOf(p0, 'lost'), [[gap[0]!, gap[0]! + 49n]]);
    assert.deepEqual(rectsOf(p0, 'only-kafka'), [[archiveEnd, archiveEnd + 99n]]);
    assert.deepEqual(rectsOf(p0, 'kafka'), [[kafka0.earliest, kafka0.latest - 1n]]);
    const remaining = files.filter((_, i) => i !== 2).map((f) => f.name);
    assert.deepEqual([...p0.matchAll(/<tr data-file="([^"]+)"/g)].map((m) => m[1]), remaining, 'one table row per file left');
    const p1 = section(dom, topic, 1);
    assert.deepEqual([...rectsOf(p1, 'gap'), ...rectsOf(p1, 'lost'), ...rectsOf(p1, 'only-kafka')], []);
    assert.match(p1, /no gaps, overlaps, foreign files or lost offsets/);

    // What a person sees: the gap and the lost range start at the same place, a fraction of the way along the files.
    const shot = join(dir, 'shot.png');
    await run(browser, [...headlessArgs(), '--window-size=1400,2400', `--screenshot=${shot}`, `file://${page}`], { timeout: 90_000 });
    const image = decodePng(await readFile(shot));
    // Each colour's pixels in bands of adjacent rows: the first band is its legend swatch, then one band per drawn
    // range (only partition 0 has a gap, lost offsets and an unarchived tail).
    const box = (hex: string) => {
      const bands: [number, [number, number]][][] = [];
      for (const [y, span] of rowsOfColour(image, hex)) {
        const band = bands.at(-1);
        if (band !== undefined && band.at(-1)![0] === y - 1) band.push([y, span]);
        else bands.push([[y, span]]);
      }
      assert.equal(bands.length, 2, `${hex}: the legend and one drawn range on screen, found ${bands.length} bands`);
      const rows = bands[1]!;
      return { y: rows[Math.floor(rows.length / 2)]![0], from: Math.min(...rows.map(([, r]) => r[0])), to: Math.max(...rows.map(([, r]) => r[1])) };
    };
    const gapBox = box(RANGE_COLOURS.gap);
    const lostBox = box(RANGE_COLOURS.lost);
    const tailBox = box(RANGE_COLOURS['only-kafka']);
    assert.ok(Math.abs(gapBox.from - lostBox.from) <= 2, `gap at x=${gapBox.from}, lost at x=${lostBox.from}`);
    const lostShare = (lostBox.to - lostBox.from + 1) / (gapBox.to - gapBox.from + 1);
    assert.ok(Math.abs(lostShare - 50 / Number(gap[1]! - gap[0]! + 1n)) < 0.15, `lost is ${lostShare} of the gap's width`);
    // On the gap's row, files run from the archive's first offset (0) to its end.
    const fileRow = [RANGE_COLOURS.file, '#a0cbe8'].map((hex) => rowsOfColour(image, hex).get(gapBox.y)).filter((r) => r !== undefined) as [number, number][];
    const left = Math.min(...fileRow.map((r) => r[0]));
    const right = Math.max(...fileRow.map((r) => r[1])) + 1;
    const along = (gapBox.from - left) / (right - left);
    assert.ok(Math.abs(along - Number(gap[0]!) / Number(archiveEnd)) < 0.01, `the gap is ${along} along the files, its offsets say ${Number(gap[0]!) / Number(archiveEnd)}`);
    assert.ok(Math.abs(tailBox.from - right) <= 2, `the unarchived tail starts where the files end (x=${tailBox.from} vs ${right})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
