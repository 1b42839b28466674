// Bad input to `oxbow archive` fails at once with exit 2 and a message naming the option; no Kafka or storage is touched.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './archive-support.js';

test('unsafe topic names, malformed URIs, unknown formats and bad durations are usage errors naming the option', { timeout: 60_000 }, async () => {
  const base = ['archive', '--brokers', '127.0.0.1:1', '--archive', 'file:///tmp/oxbow-never'];
  const cases: [string[], RegExp][] = [
    [['--topic', '../etc'], /--topic: '\.\.\/etc'/],
    [['--topic', ''], /--topic: the topic name is empty/],
    [['--topic', 't', '--archive', 'ftp://x/y'], /ftp:\/\/x\/y/],
    [['--topic', 't', '--format', 'csv'], /--format: 'csv'/],
    [['--topic', 't', '--rotate-interval', '5x'], /--rotate-interval: '5x'/],
    [['--topic', 't', '--rotate-records', '0'], /--rotate-records: '0'/],
    [['--topic', 't', '--event-time', 'a b'], /--event-time: 'a b'/],
  ];
  const results = await Promise.all(cases.map(([extra]) => runCli([...base, ...extra])));
  results.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, cases[i]![1]);
  });
});
