// What leaves the engine: results, retractions and late events go to the sink, each counted here; a result's bounds
// are remembered on its session while retractions are on, so a later merge can withdraw it.

import type { Aggregate } from './aggregate.js';
import type { Session } from './session.js';
import type { Firing, SessionSink } from './types.js';

export class SessionOutput {
  results = 0;
  retractions = 0;
  lateEvents = 0;

  constructor(
    private readonly sink: SessionSink,
    private readonly aggregate: Aggregate,
    private readonly retractionsOn: boolean,
  ) {}

  result(s: Session, firing: Firing): void {
    this.results++;
    s.pending = false;
    if (this.retractionsOn) {
      s.emittedStart = s.start;
      s.emittedEnd = s.end;
    }
    this.sink.result({ key: s.key, start: s.start, end: s.end, firing, result: this.aggregate.getResult(s.accumulator()), partition: s.partition });
  }

  retraction(s: Session, start: number, end: number): void {
    this.retractions++;
    this.sink.retraction({ key: s.key, start, end, partition: s.partition });
  }

  late(partition: number, key: string, ts: number, event: Record<string, unknown>): void {
    this.lateEvents++;
    this.sink.late(partition, key, ts, event);
  }
}
