// Turns a source record into an engine event: value JSON, key from --key-field, time from --time-field; what fails is a named bad record.

import { parseEventTime } from '../time.js';
import type { SourceRecord } from '../source/types.js';

export interface DecodedEvent {
  key: string;
  ts: number;
  event: Record<string, unknown>;
}

const decoder = new TextDecoder();

/** Parsed values are kept on the record, so the source's watermark look-up and the job parse each value once. */
const parsedCache = new WeakMap<SourceRecord, Record<string, unknown> | string>();

export function parseValue(record: SourceRecord): Record<string, unknown> | string {
  const hit = parsedCache.get(record);
  if (hit !== undefined) return hit;
  let out: Record<string, unknown> | string;
  if (record.value === null) out = 'the value is empty (null)';
  else {
    try {
      const v = JSON.parse(decoder.decode(record.value)) as unknown;
      out = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'the value is JSON but not an object';
    } catch {
      out = 'the value is not JSON';
    }
  }
  parsedCache.set(record, out);
  return out;
}

export function eventTimeFromValue(record: SourceRecord, timeField: string): number | null {
  const v = parseValue(record);
  return typeof v === 'string' ? null : parseEventTime(v[timeField]);
}

/** The event, or the reason it cannot be used. */
export function decodeEvent(record: SourceRecord, keyField: string, timeField: string): DecodedEvent | string {
  const v = parseValue(record);
  if (typeof v === 'string') return v;
  const k = v[keyField];
  if (typeof k !== 'string' && typeof k !== 'number') return `no '${keyField}' (string or number) in the value`;
  const ts = parseEventTime(v[timeField]);
  if (ts === null) return `no usable event time in '${timeField}' (epoch ms or ISO-8601)`;
  return { key: String(k), ts, event: v };
}
