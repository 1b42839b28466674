// The session engine over JSON lines (what `oxbow sessionize` runs): each line decoded as the sessions job decodes a
// record's value (read from its bytes by the exact scan where it can be, else parsed), the watermark either bounded
// out-of-orderness (max - bound - 1) or explicit `{"watermark": MS}` lines.

import type { SessionEngine } from '../engine/session-engine.js';
import { parseEventTime } from '../time.js';
import { UsageError } from '../errors.js';
import { decodeObject, scannedEvent, scannedFields, type EventSpec } from './decode.js';

export type WatermarkMode = { explicit: true } | { explicit: false; boundMs: number };

export interface LinesJobSpec {
  event: EventSpec;
  watermark: WatermarkMode;
  /** Stop at the first bad line (the run ends, reported in `stoppedAt`). */
  strict: boolean;
}

export interface LinesJobPorts {
  /** The input as text, a line per item. Give this or `input`. */
  lines?: AsyncIterable<string>;
  /**
   * The input as bytes (UTF-8 JSON lines; a line ends at LF, a CR before it is dropped): what a flat object holds of
   * the key, the time and the fields the job reads is scanned from the bytes, every other line is decoded and parsed.
   */
  input?: AsyncIterable<Uint8Array | string>;
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

const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export async function runLinesJob(spec: LinesJobSpec, ports: LinesJobPorts): Promise<LinesJobResult> {
  const { engine } = ports;
  const out: LinesJobResult = { lines: 0, events: 0, badLines: 0, stoppedAt: null };
  const wm = spec.watermark;
  // The scan reads a watermark line's field too; `fields` unset (a custom caller) means every line is parsed whole.
  const scan = scannedFields(spec.event, wm.explicit ? ['watermark'] : []);
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
  // The line being scanned, in place in the chunk read (no view per line): decoded only when its text is needed.
  let lineBuf: Uint8Array = new Uint8Array(0);
  let lineStart = 0;
  let lineEnd = 0;
  /** One parsed line (`value`), its text given or (null) decoded from the scanned line when needed; true when the run must stop. */
  const onValue = (value: unknown, text: string | null): boolean => {
    const o = value as Record<string, unknown> | null;
    if (wm.explicit && o !== null && typeof o === 'object' && o[spec.event.keyField] === undefined && 'watermark' in o) {
      const t = parseEventTime(o.watermark);
      if (t === null) return bad('the watermark is not epoch ms or ISO-8601', text ?? lineText());
      engine.advanceWatermark(t);
      return false;
    }
    const d = decodeObject(spec.event, value, Number.NaN, null);
    if (typeof d === 'string') return bad(d === 'the value is JSON but not an object' ? 'not a JSON object' : d, text ?? lineText());
    if (ports.onEventLine) ports.onEventLine(text ?? lineText());
    out.events++;
    engine.processEvent(0, d.key, d.ts, d.event);
    if (!wm.explicit && d.ts > maxTs) {
      maxTs = d.ts;
      engine.advanceWatermark(d.ts - wm.boundMs - 1);
    }
    return false;
  };
  const onText = (line: string): boolean => {
    // Blank lines hold no record (checked without allocating a trimmed copy of every line).
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) return false;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return bad('not JSON', line);
    }
    return onValue(value, line);
  };
  const lineText = (): string => utf8.decode(lineBuf.subarray(lineStart, lineEnd));
  /** The line `buf[start..end)`. */
  const onBytes = (buf: Uint8Array, start: number, end: number): boolean => {
    out.lines++;
    lineBuf = buf;
    lineStart = start;
    lineEnd = end;
    const event = scan === null ? null : scannedEvent(buf, scan, start, end);
    return event !== null ? onValue(event, null) : onText(lineText());
  };

  if (ports.input) {
    let carry: Buffer | null = null;
    for await (const item of ports.input) {
      let chunk: Buffer = typeof item === 'string' ? Buffer.from(item) : Buffer.from(item.buffer, item.byteOffset, item.byteLength);
      if (carry !== null) {
        const first = chunk.indexOf(LF);
        if (first < 0) {
          carry = Buffer.concat([carry, chunk]);
          continue;
        }
        chunk = Buffer.concat([carry, chunk]);
        carry = null;
      }
      let start = 0;
      for (let end = chunk.indexOf(LF); end >= 0; end = chunk.indexOf(LF, start)) {
        if (onBytes(chunk, start, end > start && chunk[end - 1] === CR ? end - 1 : end)) return out;
        start = end + 1;
        const waiting = ports.afterLine?.();
        if (waiting !== undefined) await waiting;
      }
      if (start < chunk.length) carry = chunk.subarray(start);
    }
    if (carry !== null && carry.length > 0) {
      // The last line without an LF; a lone CR at its end is dropped as before an LF.
      if (onBytes(carry, 0, carry[carry.length - 1] === CR ? carry.length - 1 : carry.length)) return out;
      const waiting = ports.afterLine?.();
      if (waiting !== undefined) await waiting;
    }
    return out;
  }
  if (!ports.lines) throw new UsageError('runLinesJob: give the input as `lines` (text) or `input` (bytes)');
  for await (const line of ports.lines) {
    out.lines++;
    if (onText(line)) return out;
    const waiting = ports.afterLine?.();
    if (waiting !== undefined) await waiting;
  }
  return out;
}
