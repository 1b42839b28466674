// Built-in aggregates by name: `count`, `sum:FIELD`, `listening`, `playlist-runs`.

import { UsageError } from '../../errors.js';
import type { Aggregate } from '../aggregate.js';
import { countAggregate } from './count.js';
import { listeningAggregate } from './listening.js';
import { playlistRunsAggregate } from './playlist-runs.js';
import { sumAggregate } from './sum.js';

export { countAggregate, listeningAggregate, playlistRunsAggregate, sumAggregate };
export { cutRuns, type PlaylistRun, type PlaylistAccumulator } from './playlist-runs.js';
export type { ListeningAccumulator, ListeningResult } from './listening.js';

export interface AggregateOptions {
  /** playlist-runs only: keep just the runs of this playlist. */
  playlist?: string;
}

export function createAggregate(name: string, options: AggregateOptions = {}): Aggregate {
  if (options.playlist !== undefined && name !== 'playlist-runs') {
    throw new UsageError(`--playlist: only the playlist-runs aggregate has playlists; drop --playlist or use --aggregate playlist-runs`);
  }
  if (name === 'count') return countAggregate as Aggregate;
  if (name === 'listening') return listeningAggregate as Aggregate;
  if (name === 'playlist-runs') return playlistRunsAggregate(options.playlist) as Aggregate;
  if (name.startsWith('sum:')) return sumAggregate(name.slice(4)) as Aggregate;
  throw new UsageError(`--aggregate: unknown aggregate '${name}'; use count, sum:FIELD, listening or playlist-runs`);
}
