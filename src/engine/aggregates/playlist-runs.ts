// `playlist-runs` (case B): the session's events in time order cut into runs of consecutive songs from one playlist.

import type { Aggregate, Json } from '../aggregate.js';
import { accumulatorError } from './errors.js';

/**
 * The session's events, compactly: times, whether each is a song, and its playlist (null for a
 * non-song or a song outside any playlist). Order is arrival order; getResult sorts by time
 * (stable, so equal times keep arrival order).
 */
export interface PlaylistAccumulator {
  ts: number[];
  playlist: (string | null)[];
  song: boolean[];
  sorted: boolean;
}

export interface PlaylistRun {
  playlistId: string;
  songs: number;
  firstTs: number;
  lastTs: number;
  lengthMs: number;
}

function push(acc: PlaylistAccumulator, ts: number, song: boolean, playlist: string | null): void {
  const n = acc.ts.length;
  if (n > 0 && ts < acc.ts[n - 1]!) acc.sorted = false;
  acc.ts.push(ts);
  acc.song.push(song);
  acc.playlist.push(playlist);
}

/** Runs over events already in time order; a non-song event, a song from another playlist or one without a playlist ends a run. */
export function cutRuns(events: readonly { ts: number; song: boolean; playlistId: string | null }[], only?: string): PlaylistRun[] {
  const runs: PlaylistRun[] = [];
  let run: PlaylistRun | null = null;
  for (const e of events) {
    if (run !== null && (!e.song || e.playlistId !== run.playlistId)) {
      runs.push(run);
      run = null;
    }
    if (!e.song || e.playlistId === null) continue;
    if (run === null) run = { playlistId: e.playlistId, songs: 0, firstTs: e.ts, lastTs: e.ts, lengthMs: 0 };
    run.songs++;
    run.lastTs = e.ts;
    run.lengthMs = run.lastTs - run.firstTs;
  }
  if (run !== null) runs.push(run);
  return only === undefined ? runs : runs.filter((r) => r.playlistId === only);
}

export function playlistRunsAggregate(onlyPlaylist?: string): Aggregate<PlaylistAccumulator, PlaylistRun[]> {
  return {
    name: 'playlist-runs',
    fields: ['type', 'playlistId'],
    createAccumulator: () => ({ ts: [], playlist: [], song: [], sorted: true }),
    add(acc, ts, event) {
      const song = event.type === 'song';
      const p = event.playlistId;
      push(acc, ts, song, song && typeof p === 'string' ? p : null);
      return acc;
    },
    merge(a, b) {
      for (let i = 0; i < b.ts.length; i++) push(a, b.ts[i]!, b.song[i]!, b.playlist[i]!);
      if (!b.sorted) a.sorted = false;
      return a;
    },
    getResult(acc) {
      const order = acc.ts.map((_, i) => i);
      if (!acc.sorted) order.sort((i, j) => acc.ts[i]! - acc.ts[j]! || i - j);
      return cutRuns(order.map((i) => ({ ts: acc.ts[i]!, song: acc.song[i]!, playlistId: acc.playlist[i]! })), onlyPlaylist);
    },
    // [ts, song (1/0), playlistId|null] per event, in arrival order.
    toJson: (acc) => acc.ts.map((t, i): Json => [t, acc.song[i] ? 1 : 0, acc.playlist[i] ?? null]),
    fromJson(json) {
      if (!Array.isArray(json)) throw accumulatorError('playlist-runs', json);
      const acc: PlaylistAccumulator = { ts: [], playlist: [], song: [], sorted: true };
      for (const e of json) {
        if (!Array.isArray(e) || typeof e[0] !== 'number' || (e[1] !== 0 && e[1] !== 1) || !(e[2] === null || typeof e[2] === 'string')) {
          throw accumulatorError('playlist-runs', e);
        }
        push(acc, e[0], e[1] === 1, e[2]);
      }
      return acc;
    },
  };
}
