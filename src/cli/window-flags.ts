// The session-window flags `oxbow sessions` and `oxbow sessionize` share, read the same way into one SessionWindows.

import type { Command } from 'commander';
import { createAggregate } from '../engine/aggregates/index.js';
import { sessionWindows, type SessionWindows } from '../engine/window-spec.js';
import { parseTriggerSpec } from '../engine/triggers/index.js';
import { parseDuration } from '../time.js';

export interface WindowFlags {
  gap: string;
  allowedLateness: string;
  trigger: string;
  purging?: boolean;
  retractions?: boolean;
  aggregate: string;
  playlist?: string;
}

/** Adds the window flags (each command adds `--gap` itself: required in one, defaulted in the other). */
export function withWindowFlags(command: Command): Command {
  return command
    .option('--allowed-lateness <duration>', 'how long after a session fired a late event may still update it', '0ms')
    .option('--trigger <spec>', 'when sessions fire: event-time, continuous:DURATION, count:N', 'event-time')
    .option('--purging', 'clear a session at each firing (results become deltas)', false)
    .option('--retractions', 'emit a retraction for a result that a merge or extension replaced', false)
    .option('--aggregate <name>', 'count | sum:FIELD | listening | playlist-runs', 'count')
    .option('--playlist <id>', 'playlist-runs: keep only the runs of this playlist');
}

export function windowsFromFlags(flags: WindowFlags, coPartitioned = false): SessionWindows {
  return sessionWindows({
    gapMs: parseDuration(flags.gap, '--gap'),
    allowedLatenessMs: parseDuration(flags.allowedLateness, '--allowed-lateness'),
    trigger: parseTriggerSpec(flags.trigger, '--trigger'),
    purging: flags.purging ?? false,
    retractions: flags.retractions ?? false,
    aggregate: createAggregate(flags.aggregate, flags.playlist === undefined ? {} : { playlist: flags.playlist }),
    coPartitioned,
  });
}
