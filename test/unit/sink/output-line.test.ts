// A result line is exactly the text JSON.stringify gives for the record's object, for any key, result and profile.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outputLine, type OutputRecord } from '../../../src/sink/types.js';

/** The reference: the object stringified whole. */
function reference(r: OutputRecord, withPartition: boolean): string {
  if (r.type === 'session') {
    return withPartition
      ? JSON.stringify({ key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result, profile: r.profile })
      : JSON.stringify({ key: r.key, start: r.start, end: r.end, firing: r.firing, result: r.result });
  }
  return withPartition
    ? JSON.stringify({ retract: true, key: r.key, partition: r.partition, start: r.start, end: r.end })
    : JSON.stringify({ retract: true, key: r.key, start: r.start, end: r.end });
}

test('result and retraction lines are the text JSON.stringify gives for the whole record', () => {
  const keys = ['u1', '', 'quote " and \\ backslash', 'new\nline', 'é ünïcode 🎵', '\u2028', '\u0000'];
  const results: unknown[] = [
    { songs: 3, events: 4, listeningMs: 1000 }, 7, 0, -0, null, undefined, 'text', [1, 'a', null], { nested: { deep: [{ x: 1.5e-7 }] } },
    { dropped: undefined, kept: 1 }, { at: new Date(0) }, Number.NaN,
  ];
  const profiles: (Record<string, unknown> | null | undefined)[] = [undefined, null, { country: 'DE', tier: 'premium' }, { 'odd "name"': 1 }];
  const bounds: [number, number][] = [[0, 1], [-0, 5], [1_764_374_400_000, 1_764_376_200_000], [-86_400_000, -1], [1.5, 2.25]];
  let checked = 0;
  for (const key of keys) {
    for (const [start, end] of bounds) {
      for (const withPartition of [true, false]) {
        const retraction: OutputRecord = { type: 'retraction', key, partition: 3, start, end };
        assert.equal(outputLine(retraction, withPartition), reference(retraction, withPartition));
        for (const result of results) {
          for (const firing of ['early', 'on-time', 'late']) {
            for (const profile of profiles) {
              const r: OutputRecord = { type: 'session', key, partition: 12, start, end, firing, result, profile };
              const want = reference(r, withPartition);
              assert.equal(outputLine(r, withPartition), want, want);
              JSON.parse(want);
              checked++;
            }
          }
        }
      }
    }
  }
  assert.equal(checked, keys.length * bounds.length * 2 * results.length * 3 * profiles.length);
});
