// Synthetic music events for the engine benchmark: N events over U users, roughly in time order with bounded jitter.

import { createWriteStream } from 'node:fs';
import { mulberry32 } from '../../src/gen/prng.js';

export interface EngineDataSpec {
  events: number;
  users: number;
  /** Mean spacing of events in event time (all users together). */
  stepMs: number;
  /** Each event is up to this much earlier than its place in the stream (out-of-order input). */
  jitterMs: number;
  seed: number;
}

export const FULL: EngineDataSpec = { events: 2_000_000, users: 100_000, stepMs: 5, jitterMs: 2000, seed: 42 };
export const QUICK: EngineDataSpec = { events: 200_000, users: 10_000, stepMs: 50, jitterMs: 2000, seed: 42 };

const T0 = Date.UTC(2026, 10, 24);
const playlists = ['discover-weekly', 'daily-mix', 'chill-hits', 'top-50'];


/** Calls `each(userIndex, ts, kind)` for every event; kind 0..3 = song from playlist kind, 4 = search. */
export function generate(spec: EngineDataSpec, each: (user: number, ts: number, kind: number, i: number) => void): void {
  const rnd = mulberry32(spec.seed);
  for (let i = 0; i < spec.events; i++) {
    const user = Math.floor(rnd() * spec.users);
    const ts = T0 + i * spec.stepMs - Math.floor(rnd() * spec.jitterMs);
    const r = rnd();
    each(user, ts, r < 0.15 ? 4 : Math.floor(r * 4) % 4, i);
  }
}

export function eventLine(user: number, ts: number, kind: number): string {
  return kind === 4
    ? `{"userId":"u${user}","ts":${ts},"type":"search"}`
    : `{"userId":"u${user}","ts":${ts},"type":"song","songId":"s${(user * 7 + ts) % 5000}","playlistId":"${playlists[kind]}"}`;
}

/** Writes the stream as JSON lines (with backpressure). */
export async function writeJsonl(file: string, spec: EngineDataSpec): Promise<number> {
  const out = createWriteStream(file);
  let buf = '';
  let bytes = 0;
  const pending: string[] = [];
  generate(spec, (user, ts, kind) => {
    buf += eventLine(user, ts, kind) + '\n';
    if (buf.length > 1 << 20) {
      pending.push(buf);
      bytes += buf.length;
      buf = '';
    }
  });
  pending.push(buf);
  bytes += buf.length;
  for (const chunk of pending) {
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return bytes;
}

export function musicEvent(user: number, ts: number, kind: number): Record<string, unknown> {
  return kind === 4 ? { userId: `u${user}`, ts, type: 'search' } : { userId: `u${user}`, ts, type: 'song', songId: 's1', playlistId: playlists[kind] };
}
