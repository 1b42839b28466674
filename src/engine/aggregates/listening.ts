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
  toJson: (acc) => ({ songs: acc.songs, events: acc.events, first: acc.events === 0 ? null : acc.first, last: acc.events === 0 ? null : acc.last }),
  fromJson(json) {
    const o = json as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || typeof o.songs !== 'number' || typeof o.events !== 'number') throw accumulatorError('listening', json);
    if (o.events === 0) return { songs: 0, events: 0, first: Infinity, last: -Infinity };
    if (typeof o.first !== 'number' || typeof o.last !== 'number') throw accumulatorError('listening', json);
    return { songs: o.songs, events: o.events, first: o.first, last: o.last };
  },
};
