// The session engine over JSON lines (what `oxbow sessionize` runs): each line decoded as the sessions job decodes a
// record's value, the watermark either bounded out-of-orderness (max - bound - 1) or explicit `{"watermark": MS}` lines.

import type { SessionEngine } from '../engine/session-engine.js';
import { parseEventTime } from '../time.js';
import { decodeObject, type EventSpec } from './decode.js';

export type WatermarkMode = { explicit: true } | { explicit: false; boundMs: number };

export interface LinesJobSpec {
  event: EventSpec;
  watermark: WatermarkMode;
  /** Stop at the first bad line (the run ends, reported in `stoppedAt`). */
  strict: boolean;
}

export interface LinesJobPorts {
  lines: AsyncIterable<string>;
  engine: SessionEngine;
  /** A bad line (not JSON, no key, no time, refused by the aggregate), with its number and why. */
  onBadLine: (lineNo: number, reason: string, line: string) => void;
  /** Called before each event reaches the engine (the late side output wants the line an event came from). */
  onEventLine?: (line: string) => void;
  /** After each line; a promise it returns is awaited (output writers applying backpressure), nothing else is. */
  afterLine?: () => Promise<void> | undefined;
}

export interface LinesJobResult {
  lines: number;
  events: number;
  badLines: number;
  /** Why a --strict run stopped early, or null. */
  stoppedAt: string | null;
}

export async function runLinesJob(spec: LinesJobSpec, ports: LinesJobPorts): Promise<LinesJobResult> {
  const { engine } = ports;
  const out: LinesJobResult = { lines: 0, events: 0, badLines: 0, stoppedAt: null };
  const wm = spec.watermark;
  let maxTs = -Infinity;
  const bad = (reason: string, line: string): boolean => {
    out.badLines++;
    if (spec.strict) {
      out.stoppedAt = `line ${out.lines}: ${reason} (--strict stops at the first bad line)`;
      return true;
    }
    ports.onBadLine(out.lines, reason, line);
    return false;
  };
  for await (const line of ports.lines) {
    out.lines++;
    // Blank lines hold no record (checked without allocating a trimmed copy of every line).
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (bad('not JSON', line)) break;
      continue;
    }
    const o = value as Record<string, unknown> | null;
    if (wm.explicit && o !== null && typeof o === 'object' && o[spec.event.keyField] === undefined && 'watermark' in o) {
      const t = parseEventTime(o.watermark);
      if (t === null) {
        if (bad('the watermark is not epoch ms or ISO-8601', line)) break;
        continue;
      }
      engine.advanceWatermark(t);
    } else {
      const d = decodeObject(spec.event, value, Number.NaN, null);
      if (typeof d === 'string') {
        if (bad(d === 'the value is JSON but not an object' ? 'not a JSON object' : d, line)) break;
        continue;
      }
      ports.onEventLine?.(line);
      out.events++;
      engine.processEvent(0, d.key, d.ts, d.event);
      if (!wm.explicit && d.ts > maxTs) {
        maxTs = d.ts;
        engine.advanceWatermark(d.ts - wm.boundMs - 1);
      }
    }
    const waiting = ports.afterLine?.();
    if (waiting !== undefined) await waiting;
  }
  return out;
}
