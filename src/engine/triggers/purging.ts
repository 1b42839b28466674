// Wraps a trigger so that every firing also purges the window: results become per-firing deltas instead of running totals.

import { TriggerResult, isFire, type Trigger, type TriggerContext } from './trigger.js';

export class PurgingTrigger implements Trigger {
  readonly spec: string;
  readonly initialState: number;
  readonly nested: Trigger;

  constructor(nested: Trigger) {
    this.nested = nested;
    this.spec = nested.spec;
    this.initialState = nested.initialState;
  }

  onElement(ts: number, ctx: TriggerContext): TriggerResult {
    const r = this.nested.onElement(ts, ctx);
    return isFire(r) ? TriggerResult.FIRE_AND_PURGE : r;
  }

  onEventTime(time: number, ctx: TriggerContext): TriggerResult {
    const r = this.nested.onEventTime(time, ctx);
    return isFire(r) ? TriggerResult.FIRE_AND_PURGE : r;
  }

  onMerge(ctx: TriggerContext, mergedStates: readonly number[]): void {
    this.nested.onMerge(ctx, mergedStates);
  }
}
