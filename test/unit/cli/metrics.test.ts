// The metrics registry and its /metrics server: Prometheus text format, label escaping, counters that never go down,
// address parsing, and a taken port named in a usage error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics, parseMetricsAddress, serveMetrics } from '../../../src/cli/metrics.js';
import { UsageError } from '../../../src/errors.js';

test('render: HELP and TYPE once per family, one sample per label set, escaped label values', () => {
  const m = new Metrics();
  m.set('oxbow_x_lag', 'Lag', 5, { topic: 't', partition: 0 });
  m.set('oxbow_x_lag', 'Lag', 7, { topic: 't', partition: 1 });
  m.set('oxbow_x_lag', 'Lag', 6, { topic: 't', partition: 0 });
  m.add('oxbow_x_files_total', 'Files', 2);
  m.add('oxbow_x_files_total', 'Files');
  m.set('oxbow_x_odd', 'Odd labels', Infinity, { topic: 'a"b\\c\nd' });
  assert.equal(m.render(), [
    '# HELP oxbow_x_lag Lag',
    '# TYPE oxbow_x_lag gauge',
    'oxbow_x_lag{topic="t",partition="0"} 6',
    'oxbow_x_lag{topic="t",partition="1"} 7',
    '# HELP oxbow_x_files_total Files',
    '# TYPE oxbow_x_files_total counter',
    'oxbow_x_files_total 3',
    '# HELP oxbow_x_odd Odd labels',
    '# TYPE oxbow_x_odd gauge',
    'oxbow_x_odd{topic="a\\"b\\\\c\\nd"} +Inf',
    '',
  ].join('\n'));
});

test('a counter that mirrors a running total never goes down', () => {
  const m = new Metrics();
  m.total('oxbow_x_records_total', 'Records', 10);
  m.total('oxbow_x_records_total', 'Records', 4);
  assert.match(m.render(), /^oxbow_x_records_total 10$/m);
});

test('--metrics addresses: HOST:PORT, :PORT and PORT; anything else names the option', () => {
  assert.deepEqual(parseMetricsAddress('0.0.0.0:9400'), { host: '0.0.0.0', port: 9400 });
  assert.deepEqual(parseMetricsAddress(':9400'), { host: '127.0.0.1', port: 9400 });
  assert.deepEqual(parseMetricsAddress('9400'), { host: '127.0.0.1', port: 9400 });
  assert.deepEqual(parseMetricsAddress('[::1]:9400'), { host: '::1', port: 9400 });
  assert.throws(() => parseMetricsAddress('host:http'), (e: unknown) => e instanceof UsageError && /--metrics: 'host:http'/.test(e.message));
  assert.throws(() => parseMetricsAddress('1:70000'), UsageError);
});

test('the server answers /metrics with the registry as it is now, 404 elsewhere; a taken port is a usage error', async () => {
  const m = new Metrics();
  const served = await serveMetrics('127.0.0.1:0', m);
  try {
    m.set('oxbow_x_watermark_seconds', 'Watermark', 1);
    const first = await fetch(served.url);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await first.text(), /^oxbow_x_watermark_seconds 1$/m);
    m.set('oxbow_x_watermark_seconds', 'Watermark', 2);
    assert.match(await (await fetch(served.url)).text(), /^oxbow_x_watermark_seconds 2$/m);
    assert.equal((await fetch(served.url.replace('/metrics', '/'))).status, 404);
    const port = new URL(served.url).port;
    await assert.rejects(serveMetrics(`127.0.0.1:${port}`, m), (e: unknown) => e instanceof UsageError && new RegExp(`port ${port} on 127.0.0.1 is taken`).test(e.message));
  } finally {
    await served.close();
  }
});
