// The one context object through which triggers see their window and reach its state and timers (rebound per call, never allocated per event).

import type { SessionTable } from './session.js';
import type { TriggerContext } from './triggers/trigger.js';

export interface WatermarkSource {
  readonly watermark: number;
}

/** Bound to a session by its offset in the table (`at`): a trigger reads and writes the table only. */
export class SessionTriggerContext implements TriggerContext {
  at = -1;
  private readonly clock: WatermarkSource;
  private readonly table: SessionTable;

  constructor(clock: WatermarkSource, table: SessionTable) {
    this.clock = clock;
    this.table = table;
  }

  get windowStart(): number {
    return this.table.start(this.at);
  }
  get windowEnd(): number {
    return this.table.end(this.at);
  }
  get maxTimestamp(): number {
    return this.table.end(this.at) - 1;
  }
  get currentWatermark(): number {
    return this.clock.watermark;
  }
  getState(): number {
    return this.table.triggerState(this.at);
  }
  setState(value: number): void {
    this.table.setTriggerState(this.at, value);
  }
  registerEventTimeTimer(time: number): void {
    this.table.addTimer(this.at, time);
  }
  deleteEventTimeTimer(time: number): void {
    this.table.deleteTimer(this.at, time);
  }
}
