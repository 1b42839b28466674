// A fake trigger context: one window, a settable watermark, recorded state and timers.

import type { TriggerContext } from '../../../../src/engine/index.js';

export class FakeContext implements TriggerContext {
  windowStart: number;
  windowEnd: number;
  currentWatermark = -Infinity;
  state: number;
  readonly timers = new Set<number>();

  constructor(start: number, end: number, state = Number.NaN) {
    this.windowStart = start;
    this.windowEnd = end;
    this.state = state;
  }
  get maxTimestamp(): number {
    return this.windowEnd - 1;
  }
  getState(): number {
    return this.state;
  }
  setState(value: number): void {
    this.state = value;
  }
  registerEventTimeTimer(time: number): void {
    this.timers.add(time);
  }
  deleteEventTimeTimer(time: number): void {
    this.timers.delete(time);
  }
  sortedTimers(): number[] {
    return [...this.timers].sort((a, b) => a - b);
  }
}
