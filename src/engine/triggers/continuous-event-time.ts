// Early firings every INTERVAL of event time (aligned to the epoch) while a session is open, then on time at its end.

import { UsageError } from '../../errors.js';
import { TriggerResult, type Trigger, type TriggerContext } from './trigger.js';

/**
 * State: the next early-firing time (NaN when none). Unlike Flink, one watermark jump over several
 * deadlines gives one early firing (the next deadline is placed after the watermark), and none at
 * all when the same jump also completes the window: its on-time firing says it.
 */
export class ContinuousEventTimeTrigger implements Trigger {
  readonly spec: string;
  readonly initialState = Number.NaN;
  readonly intervalMs: number;

  constructor(intervalMs: number) {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) {
      throw new UsageError(`--trigger continuous:DURATION: the interval must be at least 1ms, got ${intervalMs}`);
    }
    this.intervalMs = intervalMs;
    this.spec = `continuous:${intervalMs}`;
  }

  onElement(ts: number, ctx: TriggerContext): TriggerResult {
    const max = ctx.maxTimestamp;
    if (max <= ctx.currentWatermark) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(max);
    if (Number.isNaN(ctx.getState())) this.armAfter(this.align(ts), ctx);
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, ctx: TriggerContext): TriggerResult {
    if (time === ctx.maxTimestamp) return TriggerResult.FIRE;
    if (ctx.getState() !== time) return TriggerResult.CONTINUE;
    ctx.setState(Number.NaN);
    const wm = ctx.currentWatermark;
    // The same watermark also completes the window: the on-time firing follows, an early one would repeat it.
    if (ctx.maxTimestamp <= wm) return TriggerResult.CONTINUE;
    this.armAfter(Math.max(time, this.align(wm)), ctx);
    return TriggerResult.FIRE;
  }

  onMerge(ctx: TriggerContext, mergedStates: readonly number[]): void {
    let next = ctx.getState();
    for (const s of mergedStates) if (!Number.isNaN(s) && (Number.isNaN(next) || s < next)) next = s;
    const max = ctx.maxTimestamp;
    const wm = ctx.currentWatermark;
    if (max <= wm) {
      // A late merge: the element fires the window at once; no early firings remain.
      ctx.setState(Number.NaN);
      return;
    }
    ctx.registerEventTimeTimer(max);
    if (Number.isNaN(next)) {
      // Arming after a restore that switched to this trigger: start from the watermark (or the window's start).
      this.armAfter(this.align(Number.isFinite(wm) ? Math.max(wm, ctx.windowStart) : ctx.windowStart), ctx);
      return;
    }
    ctx.setState(next);
    ctx.registerEventTimeTimer(next);
  }

  private align(t: number): number {
    return t - (((t % this.intervalMs) + this.intervalMs) % this.intervalMs);
  }

  private armAfter(aligned: number, ctx: TriggerContext): void {
    const next = Math.min(aligned + this.intervalMs, ctx.maxTimestamp);
    ctx.setState(next);
    ctx.registerEventTimeTimer(next);
  }
}
