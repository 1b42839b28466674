// Fires once the watermark reaches the window's end - 1, and at once for an element that arrives after that (lateness).

import { TriggerResult, type Trigger, type TriggerContext } from './trigger.js';

export class EventTimeTrigger implements Trigger {
  readonly spec = 'event-time';
  readonly initialState = Number.NaN;

  onElement(_ts: number, ctx: TriggerContext): TriggerResult {
    const max = ctx.maxTimestamp;
    if (max <= ctx.currentWatermark) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(max);
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, ctx: TriggerContext): TriggerResult {
    return time === ctx.maxTimestamp ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  onMerge(ctx: TriggerContext): void {
    if (ctx.maxTimestamp > ctx.currentWatermark) ctx.registerEventTimeTimer(ctx.maxTimestamp);
  }
}
