// Fires every N elements of a window (merged windows add their counts); never fires on time by itself.

import { UsageError } from '../../errors.js';
import { TriggerResult, type Trigger, type TriggerContext } from './trigger.js';

export class CountTrigger implements Trigger {
  readonly spec: string;
  readonly initialState = 0;
  readonly maxCount: number;

  constructor(maxCount: number) {
    if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
      throw new UsageError(`--trigger count:N: N must be a whole number >= 1, got ${maxCount}`);
    }
    this.maxCount = maxCount;
    this.spec = `count:${maxCount}`;
  }

  onElement(_ts: number, ctx: TriggerContext): TriggerResult {
    const count = (ctx.getState() || 0) + 1;
    if (count >= this.maxCount) {
      ctx.setState(0);
      return TriggerResult.FIRE;
    }
    ctx.setState(count);
    return TriggerResult.CONTINUE;
  }

  onEventTime(_time: number, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onMerge(ctx: TriggerContext, mergedStates: readonly number[]): void {
    let count = ctx.getState() || 0;
    for (const s of mergedStates) count += s || 0;
    ctx.setState(count);
  }
}
