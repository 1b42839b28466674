// archive-fs.ts helpers: one path join, and the URI oxbow prints for a file it wrote.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinPath, uriOf } from '../../src/archive-fs.js';

test('joinPath joins without doubled or trailing slashes and keeps the root', () => {
  assert.equal(joinPath('/a/', '/b', 'c/'), '/a/b/c');
  assert.equal(joinPath('/', 'x'), '/x');
  assert.equal(joinPath('/'), '/');
  assert.equal(joinPath('', 'rel', 'x'), 'rel/x');
});

test('uriOf gives the URI an option takes back, for the local fs and for WebHDFS', () => {
  assert.equal(uriOf({ description: 'file://' }, '/tmp/cp/savepoint-0000000002.json'), 'file:///tmp/cp/savepoint-0000000002.json');
  assert.equal(uriOf({ description: 'file:///' }, '/tmp/x'), 'file:///tmp/x', 'a description ending in a slash does not double it');
  assert.equal(uriOf({ description: 'webhdfs://nn:9870' }, '/cp/chk-0000000001.json'), 'webhdfs://nn:9870/cp/chk-0000000001.json');
  assert.equal(uriOf({ description: 'webhdfs://nn:9870/' }, 'cp/x'), 'webhdfs://nn:9870/cp/x');
});
