// The progress line of archive and sessions on a terminal: rewritten in place, ended once so the summary starts on its own line.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { statusLine } from '../../../src/cli/status-line.js';

function stream(isTTY: boolean): { out: PassThrough & { isTTY?: boolean }; text: () => string } {
  const out = Object.assign(new PassThrough(), { isTTY });
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { out, text: () => chunks.join('') };
}

test('on a terminal the line is rewritten in place and ended once; with nothing shown, end writes nothing', async () => {
  const t = stream(true);
  const line = statusLine(t.out);
  assert.equal(line.tty, true);
  line.end();
  line.show('a');
  line.show('b');
  line.end();
  line.end();
  await new Promise((r) => setImmediate(r));
  assert.equal(t.text(), '\r\x1b[Ka\r\x1b[Kb\n');
  assert.equal(statusLine(stream(false).out).tty, false);
});
