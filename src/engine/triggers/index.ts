// Trigger specs (`event-time`, `continuous:DURATION`, `count:N`) parsed and turned into trigger objects.

import { UsageError } from '../../errors.js';
import { parseDuration } from '../../time.js';
import { ContinuousEventTimeTrigger } from './continuous-event-time.js';
import { CountTrigger } from './count.js';
import { EventTimeTrigger } from './event-time.js';
import { PurgingTrigger } from './purging.js';
import type { Trigger } from './trigger.js';

export * from './trigger.js';
export { EventTimeTrigger, ContinuousEventTimeTrigger, CountTrigger, PurgingTrigger };

export type TriggerSpec =
  | { kind: 'event-time' }
  | { kind: 'continuous'; intervalMs: number }
  | { kind: 'count'; count: number };

/** Parse the `--trigger` value; DURATION as everywhere (`1500ms`, `5s`); a bare number of ms is read as well (canonical snapshot form). */
export function parseTriggerSpec(text: string, what = '--trigger'): TriggerSpec {
  const t = text.trim();
  if (t === 'event-time') return { kind: 'event-time' };
  const m = /^(continuous|count):(.+)$/.exec(t);
  if (m) {
    const arg = m[2]!.trim();
    if (m[1] === 'count') {
      if (!/^\d+$/.test(arg) || Number(arg) < 1) throw new UsageError(`${what}: '${text}': count:N needs a whole number N >= 1`);
      return { kind: 'count', count: Number(arg) };
    }
    const intervalMs = /^\d+$/.test(arg) ? Number(arg) : parseDuration(arg, what);
    if (intervalMs < 1) throw new UsageError(`${what}: '${text}': the interval must be at least 1ms`);
    return { kind: 'continuous', intervalMs };
  }
  throw new UsageError(`${what}: '${text}' is not a trigger; use event-time, continuous:DURATION (e.g. continuous:5s) or count:N`);
}

export function formatTriggerSpec(spec: TriggerSpec): string {
  switch (spec.kind) {
    case 'event-time':
      return 'event-time';
    case 'continuous':
      return `continuous:${spec.intervalMs}`;
    case 'count':
      return `count:${spec.count}`;
  }
}

export function createTrigger(spec: TriggerSpec, purging: boolean): Trigger {
  let t: Trigger;
  switch (spec.kind) {
    case 'event-time':
      t = new EventTimeTrigger();
      break;
    case 'continuous':
      t = new ContinuousEventTimeTrigger(spec.intervalMs);
      break;
    case 'count':
      t = new CountTrigger(spec.count);
      break;
  }
  return purging ? new PurgingTrigger(t) : t;
}
