// `listening` (case A): how long a user listens in one session: song events, all events, last minus first event time.

import type { Aggregate } from '../aggregate.js';
import { accumulatorError } from './errors.js';

export interface ListeningAccumulator {
  songs: number;
  events: number;
  first: number;
  last: number;
}

export interface ListeningResult {
  songs: number;
  events: number;
  listeningMs: number;
}

export const listeningAggregate: Aggregate<ListeningAccumulator, ListeningResult> = {
  name: 'listening',
  fields: ['type'],
  createAccumulator: () => ({ songs: 0, events: 0, first: Infinity, last: -Infinity }),
  add(acc, ts, event) {
    if (event.type === 'song') acc.songs++;
    acc.events++;
    if (ts < acc.first) acc.first = ts;
    if (ts > acc.last) acc.last = ts;
    return acc;
  },
  merge(a, b) {
    a.songs += b.songs;
    a.events += b.events;
    if (b.first < a.first) a.first = b.first;
    if (b.last > a.last) a.last = b.last;
    return a;
  },
  getResult: (acc) => ({ songs: acc.songs, events: acc.events, listeningMs: acc.events === 0 ? 0 : acc.last - acc.first }),
  // The same fold over [songs, events, first, last]: the engine keeps it in its session table.
  row: {
    width: 4,
    init(f, at) {
      f[at] = 0;
      f[at + 1] = 0;
      f[at + 2] = Infinity;
      f[at + 3] = -Infinity;
    },
    add(f, at, ts, event) {
      if (event.type === 'song') f[at] = f[at]! + 1;
      f[at + 1] = f[at + 1]! + 1;
      if (ts < f[at + 2]!) f[at + 2] = ts;
      if (ts > f[at + 3]!) f[at + 3] = ts;
    },
    merge(f, into, from) {
      f[into] = f[into]! + f[from]!;
      f[into + 1] = f[into + 1]! + f[from + 1]!;
      if (f[from + 2]! < f[into + 2]!) f[into + 2] = f[from + 2]!;
      if (f[from + 3]! > f[into + 3]!) f[into + 3] = f[from + 3]!;
    },
    read: (f, at) => ({ songs: f[at]!, events: f[at + 1]!, first: f[at + 2]!, last: f[at + 3]! }),
    write(acc, f, at) {
      f[at] = acc.songs;
      f[at + 1] = acc.events;
      f[at + 2] = acc.first;
      f[at + 3] = acc.last;
    },
  },
  toJson: (acc) => ({ songs: acc.songs, events: acc.events, first: acc.events === 0 ? null : acc.first, last: acc.events === 0 ? null : acc.last }),
  fromJson(json) {
    const o = json as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || typeof o.songs !== 'number' || typeof o.events !== 'number') throw accumulatorError('listening', json);
    if (o.events === 0) return { songs: 0, events: 0, first: Infinity, last: -Infinity };
    if (typeof o.first !== 'number' || typeof o.last !== 'number') throw accumulatorError('listening', json);
    return { songs: o.songs, events: o.events, first: o.first, last: o.last };
  },
};
