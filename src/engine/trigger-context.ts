// The one context object through which triggers see their window and reach its state and timers (rebound per call, never allocated per event).

import type { Session } from './session.js';
import type { TriggerContext } from './triggers/trigger.js';

export interface WatermarkSource {
  readonly watermark: number;
}

export class SessionTriggerContext implements TriggerContext {
  session: Session | null = null;
  private readonly clock: WatermarkSource;

  constructor(clock: WatermarkSource) {
    this.clock = clock;
  }

  private get s(): Session {
    return this.session!;
  }
  get windowStart(): number {
    return this.s.start;
  }
  get windowEnd(): number {
    return this.s.end;
  }
  get maxTimestamp(): number {
    return this.s.end - 1;
  }
  get currentWatermark(): number {
    return this.clock.watermark;
  }
  getState(): number {
    return this.s.triggerState;
  }
  setState(value: number): void {
    this.s.triggerState = value;
  }
  registerEventTimeTimer(time: number): void {
    this.s.addTimer(time);
  }
  deleteEventTimeTimer(time: number): void {
    this.s.deleteTimer(time);
  }
}
