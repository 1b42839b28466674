// A session engine wired to a recording sink, for operator-level tests.

import { SessionEngine, type SessionEngineOptions, type SessionResult, type SessionRetraction } from '../../../src/engine/index.js';
import { mulberry32 } from '../../../src/gen/prng.js';

export type Output =
  | ({ kind: 'result' } & SessionResult)
  | ({ kind: 'retract' } & SessionRetraction)
  | { kind: 'late'; partition: number; key: string; ts: number };

export class Harness {
  readonly out: Output[] = [];
  engine: SessionEngine;

  constructor(options: SessionEngineOptions) {
    this.engine = new SessionEngine(options, this.sink());
  }

  sink() {
    return {
      result: (r: SessionResult) => this.out.push({ kind: 'result', ...r }),
      retraction: (r: SessionRetraction) => this.out.push({ kind: 'retract', ...r }),
      late: (partition: number, key: string, ts: number) => this.out.push({ kind: 'late', partition, key, ts }),
    };
  }

  event(key: string, ts: number, extra: Record<string, unknown> = {}, partition = 0): Output[] {
    return this.capture(() => this.engine.processEvent(partition, key, ts, { key, ts, ...extra }));
  }

  watermark(ts: number): Output[] {
    return this.capture(() => this.engine.advanceWatermark(ts));
  }

  finish(): Output[] {
    return this.capture(() => this.engine.finish());
  }

  /** Snapshot through JSON text and restore into a fresh engine (optionally with new options). */
  restore(options: SessionEngineOptions): void {
    const text = JSON.stringify(this.engine.snapshot());
    this.engine = SessionEngine.restore(JSON.parse(text), options, this.sink());
  }

  private capture(fn: () => void): Output[] {
    const from = this.out.length;
    fn();
    return this.out.slice(from);
  }
}

/** Results as compact tuples: [key, start, end, firing, result]. */
export function results(list: Output[]): [string, number, number, string, unknown][] {
  return list.filter((o): o is { kind: 'result' } & SessionResult => o.kind === 'result').map((r) => [r.key, r.start, r.end, r.firing, r.result]);
}

/** A small deterministic PRNG so property tests can be replayed. */
export const prng = mulberry32;
