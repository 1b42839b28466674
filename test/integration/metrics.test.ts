// `--metrics`: scraped while `oxbow archive` and `oxbow sessions` run against the real broker; the values move as
// records are produced, and agree with Kafka's own offsets.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brokers, filledTopic, kafka, startWithMetrics, topicOffsets } from './archive-support.js';
import { produceBulk } from '../../connectors/kafka/bulk-producer.js';

/** The value of one sample (`name{labels}`), or undefined when it is not there (yet). */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Scrapes until `ok` holds for the page (or fails after 60 s, showing the last page). */
async function scrapeUntil(url: string, ok: (page: string) => boolean): Promise<string> {
  const deadline = Date.now() + 60_000;
  let page = '';
  while (Date.now() < deadline) {
    page = await (await fetch(url)).text();
    if (ok(page)) return page;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the metrics never showed what was expected; last page:\n${page}`);
}

const value = (i: number) => ({ key: `u${i % 7}`, value: JSON.stringify({ userId: `u${i % 7}`, ts: 1_732_406_400_000 + i * 1000 }) });

test('archive: read offsets, log ends and lag per partition move as records arrive and match Kafka', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-metrics-'));
  const topic = await filledTopic('oxbow-it-metrics-a', 2, 200);
  const { url, run } = startWithMetrics(['archive', '--brokers', brokers(), '--topic', topic, '--archive', `file://${dir}`, '--progress-interval', '300ms']);
  try {
    const at = await url;
    const read = (page: string) => (sample(page, 'oxbow_archive_partition_read_offset', `{topic="${topic}",partition="0"}`) ?? 0)
      + (sample(page, 'oxbow_archive_partition_read_offset', `{topic="${topic}",partition="1"}`) ?? 0);
    await scrapeUntil(at, (page) => read(page) === 200);
    await produceBulk(kafka(), brokers(), topic, 300, value);
    const ends = await topicOffsets(topic);
    const page = await scrapeUntil(at, (p) => read(p) === 500);
    for (const e of ends) {
      assert.equal(sample(page, 'oxbow_archive_partition_log_end_offset', `{topic="${topic}",partition="${e.partition}"}`), Number(e.latest));
      const archived = sample(page, 'oxbow_archive_partition_archived_offset', `{topic="${topic}",partition="${e.partition}"}`)!;
      assert.equal(sample(page, 'oxbow_archive_partition_lag', `{topic="${topic}",partition="${e.partition}"}`), Number(e.latest) - archived);
    }
  } finally {
    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    // Off a terminal, progress is a log line per --progress-interval: each partition's position and its lag to the log end.
    const ends = await topicOffsets(topic);
    const lines = result.stderr.split('\n').filter((l) => / info archive: progress /.test(l));
    assert.ok(lines.length >= 2, `progress lines:\n${result.stderr}`);
    const last = lines.at(-1)!;
    for (const e of ends) assert.ok(last.includes(`${topic}:${e.partition}@`) && / \(lag \d+\)/.test(last), last);
    assert.match(last, /records=\d+ perSecond=\d+/);
    await rm(dir, { recursive: true, force: true });
  }
});

test('sessions: records, watermark and per-partition offsets move while following Kafka live', { timeout: 120_000 }, async () => {
  const topic = await filledTopic('oxbow-it-metrics-s', 2, 200);
  const { url, run } = startWithMetrics(['sessions', '--brokers', brokers(), '--topic', topic, '--progress-interval', '200ms', '--idle-timeout', '1s']);
  try {
    const at = await url;
    const labels = `{topic="${topic}"}`;
    const first = await scrapeUntil(at, (p) => sample(p, 'oxbow_sessions_records_total', labels) === 200);
    const watermark = sample(first, 'oxbow_sessions_watermark_seconds', labels);
    await produceBulk(kafka(), brokers(), topic, 300, (i) => value(i + 1000));
    const later = await scrapeUntil(at, (p) => sample(p, 'oxbow_sessions_records_total', labels) === 500
      && (sample(p, 'oxbow_sessions_watermark_seconds', labels) ?? 0) > (watermark ?? 0));
    const ends = await topicOffsets(topic);
    for (const e of ends) {
      assert.equal(sample(later, 'oxbow_sessions_partition_next_offset', `{topic="${topic}",partition="${e.partition}",phase="kafka"}`), Number(e.latest));
    }
    assert.ok((sample(later, 'oxbow_sessions_open_sessions', labels) ?? 0) > 0, 'open sessions are counted');
  } finally {
    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
  }
});
