// Turns a source record into an engine event: value JSON, key from --key-field, time from --time-field; what fails is a named bad record.

import { parseEventTime } from '../time.js';
import type { SourceRecord } from '../source/types.js';

export interface DecodedEvent {
  key: string;
  ts: number;
  event: Record<string, unknown>;
}

const decoder = new TextDecoder();

/**
 * Values the source already parsed for a Kafka record's watermark, so the job does not parse them again. Archive records
 * carry their event time and are never put here: a WeakMap insert per record would cost more than it saves.
 */
const parsedCache = new WeakMap<SourceRecord, Record<string, unknown> | string>();

function parse(record: SourceRecord): Record<string, unknown> | string {
  if (record.value === null) return 'the value is empty (null)';
  try {
    const v = JSON.parse(decoder.decode(record.value)) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'the value is JSON but not an object';
  } catch {
    return 'the value is not JSON';
  }
}

/** The record's value as an object, or why it is none. */
export function parseValue(record: SourceRecord): Record<string, unknown> | string {
  return parsedCache.get(record) ?? parse(record);
}

/** The event time in a record's value (for the source's watermarks); keeps the parsed value for decodeEvent. */
export function eventTimeFromValue(record: SourceRecord, timeField: string): number | null {
  const v = parse(record);
  parsedCache.set(record, v);
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
