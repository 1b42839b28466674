// What a trigger is: it decides (CONTINUE / FIRE / PURGE / FIRE_AND_PURGE) and reaches timers and state only through its context.

/** Bit 1 = fire, bit 2 = purge. */
export const TriggerResult = { CONTINUE: 0, FIRE: 1, PURGE: 2, FIRE_AND_PURGE: 3 } as const;
export type TriggerResult = (typeof TriggerResult)[keyof typeof TriggerResult];

export function isFire(r: TriggerResult): boolean {
  return (r & 1) !== 0;
}
export function isPurge(r: TriggerResult): boolean {
  return (r & 2) !== 0;
}

/** The window a trigger is asked about, plus the only ways it may touch time and state. */
export interface TriggerContext {
  readonly windowStart: number;
  readonly windowEnd: number;
  /** windowEnd - 1: when the watermark reaches it, the window is complete. */
  readonly maxTimestamp: number;
  readonly currentWatermark: number;
  /** The trigger's one number of per-window state; NaN when empty. */
  getState(): number;
  setState(value: number): void;
  registerEventTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
}

export interface Trigger {
  /** Canonical spec, kept in snapshots: `event-time`, `continuous:<ms>`, `count:<n>`. */
  readonly spec: string;
  /** State of a fresh window. */
  readonly initialState: number;
  onElement(ts: number, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, ctx: TriggerContext): TriggerResult;
  /**
   * Windows merged into ctx's window: ctx's state holds the surviving window's own state,
   * `mergedStates` the others'; all timers of the old windows are already gone, so the trigger
   * re-registers what the merged window needs. Also called with no states after a restore that
   * changed the trigger, to arm the new one.
   */
  onMerge(ctx: TriggerContext, mergedStates: readonly number[]): void;
}
