// Shared by the sessions integration tests: the independent oracle (every produced event through one engine, in event
// time order, keyed by user), the published output of a run, producing music events with a chosen key and partition.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import type { Checkpoint } from '../../src/checkpoint/format.js';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import { createAggregate } from '../../src/engine/aggregates/index.js';
import type { MusicEvent } from '../../src/gen/music-events.js';
import { kafka } from './archive-support.js';

/** A session line without its partition: topics not keyed by user put one session's events in several partitions. */
export function sessionKey(line: string): string {
  const { partition: _p, ...rest } = JSON.parse(line) as Record<string, unknown>;
  void _p;
  return JSON.stringify(rest);
}

/**
 * The reference, computed without the session engine: each user's events in event-time order, cut where an event comes
 * more than the gap after the one before it (windows [ts, ts + gap) that touch merge, as Flink's), each session folded
 * through the aggregate's plain object form (createAccumulator, add, getResult), every session fired on time at the end
 * of input. Nothing of the engine (merging, timers, its table, an aggregate's row) is shared with what it checks.
 */
export function offlineSessions(events: readonly MusicEvent[], gapMs: number, aggregate: string): string[] {
  const agg = createAggregate(aggregate);
  const byUser = new Map<string, MusicEvent[]>();
  // A stable sort: events of one time keep their order, as they reach the job in event-time order.
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    const list = byUser.get(e.userId);
    if (list === undefined) byUser.set(e.userId, [e]);
    else list.push(e);
  }
  const lines: string[] = [];
  for (const [key, list] of byUser) {
    for (let i = 0; i < list.length;) {
      let j = i + 1;
      while (j < list.length && list[j]!.ts - list[j - 1]!.ts <= gapMs) j++;
      let acc = agg.createAccumulator();
      for (let k = i; k < j; k++) acc = agg.add(acc, list[k]!.ts, list[k] as unknown as Record<string, unknown>);
      lines.push(JSON.stringify({ key, start: list[i]!.ts, end: list[j - 1]!.ts + gapMs, firing: 'on-time', result: agg.getResult(acc) }));
      i = j;
    }
  }
  return lines.sort();
}

/** The session lines a file output published (parts only, never pending files), partition removed, sorted. */
export async function publishedSessions(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith('part-')).sort();
  const lines: string[] = [];
  for (const n of names) lines.push(...(await readFile(join(dir, n), 'utf8')).split('\n').filter(Boolean));
  return lines.map(sessionKey).sort();
}

/** A value of the summary `oxbow sessions` prints on stderr. */
export function summaryValue(stderr: string, label: string): string {
  const m = new RegExp(`^\\s+${label}\\s+(.*)$`, 'm').exec(stderr);
  assert.ok(m, `no '${label}' in the summary:\n${stderr}`);
  return m[1]!.trim();
}

/**
 * Produces events in order, each to the partition `place` chooses and with the key it gives (null allowed): a topic
 * keyed by song, by nothing, or by user.
 */
export async function produceEvents(topic: string, events: readonly MusicEvent[], place: (e: MusicEvent, i: number) => { partition: number; key: string | null }): Promise<void> {
  const producer = kafka().producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 500) {
      const messages = events.slice(i, i + 500).map((e, k) => ({ ...place(e, i + k), value: JSON.stringify(e) }));
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Kills a running command with SIGKILL the moment its latest checkpoint satisfies `when` (checked as often as the loop
 * can, or every `pollMs` when `when` asks a service: a checkpoint is written every few records with
 * --checkpoint-interval 0ms). Resolves true when it killed it, false when the command ended first.
 */
export async function killAtCheckpoint(
  child: { exitCode: number | null; kill(signal: NodeJS.Signals): boolean },
  store: CheckpointStore,
  when: (checkpoint: Checkpoint) => boolean | Promise<boolean>,
  pollMs = 0,
): Promise<boolean> {
  while (child.exitCode === null) {
    const latest = await store.latest().catch(() => null);
    if (latest && await when(latest.checkpoint)) {
      child.kill('SIGKILL');
      return true;
    }
    await new Promise((resolve) => (pollMs === 0 ? setImmediate(resolve) : setTimeout(resolve, pollMs)));
  }
  return false;
}

/**
 * The raw lines a file output published at `uri` (`file:///dir` or `webhdfs://nn:port/dir`): parts only, never pending
 * files, in part order, each line as written.
 */
export async function publishedLines(uri: string): Promise<string[]> {
  const { fs, root } = openArchiveFs(uri);
  const parts = (await fs.list(root)).filter((f) => f.type === 'file' && f.name.startsWith('part-')).sort((a, b) => (a.name < b.name ? -1 : 1));
  const lines: string[] = [];
  for (const part of parts) lines.push(...Buffer.from(await fs.readFile(part.path)).toString('utf8').split('\n').filter(Boolean));
  return lines;
}
