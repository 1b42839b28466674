// What session windows a job computes, validated once and frozen (in the style of Kafka Streams' SessionWindows):
// the engine, `oxbow sessions` and `oxbow sessionize` all build it here, so a value is accepted or refused the same way.

import { UsageError } from '../errors.js';
import type { Aggregate } from './aggregate.js';
import { createAggregate } from './aggregates/index.js';
import { validateLateness } from './lateness.js';
import { parseTriggerSpec, type TriggerSpec } from './triggers/index.js';
import type { SessionEngineOptions } from './types.js';

export interface SessionWindows {
  /** Events of one key at most this far apart share a session (ms, >= 1). */
  readonly gapMs: number;
  /** How long after a window's end a late event may still update it (ms, >= 0). */
  readonly allowedLatenessMs: number;
  readonly trigger: TriggerSpec;
  /** Clear a window at each firing: results are deltas. */
  readonly purging: boolean;
  /** Withdraw results a merge or an extension replaced. */
  readonly retractions: boolean;
  readonly aggregate: Aggregate;
  /** The input keeps each key in one source partition: verified on every event (CoPartitioningError). */
  readonly coPartitioned: boolean;
}

/** Specs made by sessionWindows(): validated, so the engine takes them as they are. */
const validated = new WeakSet<object>();

export function isSessionWindows(x: SessionEngineOptions | SessionWindows): x is SessionWindows {
  return validated.has(x);
}

/** Validates the options (a UsageError names the option) and returns them complete and frozen. */
export function sessionWindows(options: SessionEngineOptions): SessionWindows {
  const { gapMs } = options;
  if (!Number.isSafeInteger(gapMs) || gapMs < 1) throw new UsageError(`--gap: ${gapMs} ms is not a usable session gap; give at least 1ms`);
  const allowedLatenessMs = validateLateness(options.allowedLatenessMs ?? 0);
  const t = options.trigger ?? { kind: 'event-time' };
  const trigger = typeof t === 'string' ? parseTriggerSpec(t) : t;
  const purging = options.purging ?? false;
  const retractions = options.retractions ?? false;
  if (purging && retractions) {
    throw new UsageError('--retractions: retractions replace running totals, but --purging emits deltas; use one or the other');
  }
  const agg = options.aggregate ?? 'count';
  const aggregate = typeof agg === 'string' ? createAggregate(agg) : agg;
  const spec: SessionWindows = Object.freeze({ gapMs, allowedLatenessMs, trigger, purging, retractions, aggregate, coPartitioned: options.coPartitioned ?? false });
  validated.add(spec);
  return spec;
}
