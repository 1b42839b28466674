// A source record becomes a session event exactly once: value JSON parsed once, the key, the event time by the one
// definition, the checks that keep impossible times out of the watermark; what fails is a named bad record.

import { EventTimeMismatchError } from '../errors.js';
import { type EventTimeDefinition, eventTimeOfValue } from '../event-time.js';
import { InPlaceRecord } from '../source/packed-record.js';
import type { SourceRecord } from '../source/types.js';
import { ABSENT, scanFields, scanFlatObject, type ScannedValue, UNSURE } from '../json-scan.js';
import { formatDuration } from '../time.js';

export interface DecodedEvent {
  key: string;
  ts: number;
  event: Record<string, unknown>;
}

/** A decoded event, or the reason the record cannot be one (it goes to the dead-letter output and is counted). */
export type Decoded = DecodedEvent | string;

/** What a job reads from each record: its key, its event time, and which event times cannot be true. */
export interface EventSpec {
  /** Value field holding the session key (a string or number). */
  keyField: string;
  eventTime: EventTimeDefinition;
  /**
   * An event time more than this ahead of its record's Kafka timestamp (or, read live, of the wall clock) cannot be true
   * (a producer clock years off): it would move the watermark past every later event. Such a record is a bad record.
   */
  maxAheadMs: number;
  /** The aggregate's own check of an event (e.g. a song without songId for `listening`): a reason makes it a bad record. */
  check?: (event: Record<string, unknown>) => string | null;
  /**
   * The value fields the job reads besides the key and the event time (the aggregate's `fields`). Given, and with a
   * top-level event-time field or the Kafka timestamp, an event holds only those fields, read from the value's bytes
   * (src/json-scan.ts) whenever the scan is certain; undefined: every event is the whole value, parsed.
   */
  fields?: readonly string[];
}

/** Default of `--max-event-time-ahead`. */
export const DEFAULT_MAX_AHEAD_MS = 3_600_000;

const decoder = new TextDecoder();

/** Epoch ms as ISO-8601 where the Date range allows it, else as a number. */
function isoTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

/** Why an event time cannot be true (too far ahead of its record's Kafka timestamp or, read live, of the clock), or null. */
function impossibleTime(maxAheadMs: number, ts: number, kafkaTimestamp: number, now: number | null): string | null {
  // A Kafka timestamp <= 0 (or none) means none was set (old message formats): nothing to hold the time against.
  if (kafkaTimestamp > 0 && ts - kafkaTimestamp > maxAheadMs) {
    return `event time ${isoTime(ts)} is more than ${formatDuration(maxAheadMs)} ahead of its Kafka record timestamp ${isoTime(kafkaTimestamp)} (--max-event-time-ahead)`;
  }
  if (now !== null && ts - now > maxAheadMs) {
    return `event time ${isoTime(ts)} is more than ${formatDuration(maxAheadMs)} ahead of the clock (--max-event-time-ahead)`;
  }
  return null;
}

/**
 * An event from a parsed JSON value: its key, its time by the definition (`kafkaTimestamp`: the record's, NaN for a JSON
 * line without one), the impossible-time checks, the aggregate's check. A string says why it is not one. Shared by the
 * sessions job (records) and `oxbow sessionize` (lines).
 */
export function decodeObject(
  spec: EventSpec, value: unknown, kafkaTimestamp: number, now: number | null,
  /** The value's event time by the spec, when the caller has read it already (the archive's check). */
  eventTime?: number | null,
): Decoded {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the value is JSON but not an object';
  const event = value as Record<string, unknown>;
  const k = event[spec.keyField];
  if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') return `no key: field '${spec.keyField}' is missing or not a string or number`;
  const ts = eventTime !== undefined ? eventTime : eventTimeOfValue(spec.eventTime, event, kafkaTimestamp);
  if (ts === null) return `no time: field '${spec.eventTime.text}' is missing, not epoch ms or ISO-8601, or beyond ±(2^53 − 1) ms`;
  const impossible = impossibleTime(spec.maxAheadMs, ts, kafkaTimestamp, now);
  if (impossible !== null) return impossible;
  const why = spec.check?.(event) ?? null;
  if (why !== null) return why;
  return { key: String(k), ts, event };
}

/**
 * The decoder of source records for a spec: the value parsed once. `phase` is where the record was read: an archived
 * record carries the event time the archiver stored, which must equal the job's reading of it (an archive written in
 * another clock is refused, never replayed); a record read live is also held to the wall clock.
 */
export function createDecoder(spec: EventSpec, now: () => number = Date.now): (record: SourceRecord, phase: 'archive' | 'kafka') => Decoded {
  const scan = scannedFields(spec);
  return (record, phase) => {
    let v: unknown = null;
    if (record instanceof InPlaceRecord) {
      // Scanned where it lies in its batch's bytes: no view unless the scan is unsure.
      if (record.valueEnd < 0) return 'the value is empty (null)';
      if (scan !== null) v = scannedEvent(record.bytes, scan, record.valueStart, record.valueEnd);
    } else {
      if (record.value === null) return 'the value is empty (null)';
      if (scan !== null) v = scannedEvent(record.value, scan);
    }
    v ??= parseValue(record.value!);
    if (v === NOT_JSON) return 'the value is not JSON';
    if (phase === 'archive') return decodeObject(spec, v, record.timestamp, null, checkArchivedTime(spec.eventTime, '--event-time', v, record));
    return decodeObject(spec, v, record.timestamp, now());
  };
}

const NOT_JSON = Symbol('not JSON');

/** The fields a scan reads: their names, and their bytes for `scanFlatObject`. */
export interface ScanFields {
  names: string[];
  bytes: Uint8Array[];
  /** The scan's values, refilled for each record and read at once. */
  values: ScannedValue[];
  /** The event object of the scanned values: absent fields left out, as JSON.parse leaves them. */
  build: (values: readonly ScannedValue[], absent: typeof ABSENT) => Record<string, unknown>;
}

/**
 * The fields an event needs when the spec allows a scan (see EventSpec.fields), and `extra` ones (sessionize's
 * `watermark`): names, and their bytes for the scan; null when it does not.
 */
export function scannedFields(spec: EventSpec, extra: readonly string[] = []): ScanFields | null {
  const time = spec.eventTime.path;
  if (spec.fields === undefined || (time !== null && time.length !== 1)) return null;
  const names = [...new Set([spec.keyField, ...(time ?? []), ...spec.fields, ...extra])];
  // An own `__proto__` is what JSON.parse makes of that key; an assignment would set the prototype instead.
  if (names.includes('__proto__')) return null;
  return { names, bytes: scanFields(names), values: new Array<ScannedValue>(names.length), build: eventBuilder(names) };
}

/**
 * A function building the event of a scan's values with a store per field under its own name. Stored in a loop under
 * names read from an array, the stores were megamorphic, and building the object a third of the scan's time
 * (tools/bench/RESULTS.md). The names enter the code as JSON string literals, so any name is only ever a property name.
 */
function eventBuilder(names: readonly string[]): ScanFields['build'] {
  const stores = names.map((n, i) => `if (v[${i}] !== absent) e[${JSON.stringify(n)}] = v[${i}];`);
  return new Function('v', 'absent', `const e = {};\n${stores.join('\n')}\nreturn e;`) as ScanFields['build'];
}

/**
 * The event with just the needed fields, as JSON.parse would give them; null when the scan is not certain. The value is
 * `value[from..to)` (default all of it).
 */
export function scannedEvent(value: Uint8Array, scan: ScanFields, from = 0, to = value.length): Record<string, unknown> | null {
  const values = scanFlatObject(value, scan.bytes, scan.values, from, to);
  return values === UNSURE ? null : scan.build(values, ABSENT);
}

function parseValue(value: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(value));
  } catch {
    return NOT_JSON;
  }
}

/**
 * An archived record carries the event time the archiver stored; the job's reading of the value must give the same, or
 * the archive is in another clock than the job (refused, never replayed). `option` names the job's definition. Returns
 * the event time read, so that it is read once.
 */
function checkArchivedTime(eventTime: EventTimeDefinition, option: string, v: unknown, record: SourceRecord): number | null {
  const ts = typeof v === 'object' && v !== null ? eventTimeOfValue(eventTime, v, record.timestamp) : null;
  if (ts !== record.eventTime) {
    throw new EventTimeMismatchError(
      `${option} ${eventTime.text}: archived record at offset ${record.offset} has event time ${record.eventTime ?? 'none'} in the archive, ` +
      `but ${ts ?? 'none'} by ${option} ${eventTime.text}; the archive was written with another event-time definition ` +
      `(oxbow 0.1 archives default to kafka-timestamp). Pass the archive's definition with ${option}, or archive the topic again with --event-time ${eventTime.text}`);
  }
  return ts;
}

/** A profile version: the user it belongs to (the record key), its time, and its value (null: a tombstone). */
export interface ProfileVersion {
  key: string;
  ts: number;
  value: Record<string, unknown> | null;
}

/**
 * The decoder of the profiles topic's records (docs/sessions.md, "Enrichment"): the key is the Kafka record key as text;
 * a value's time is by `eventTime` (`--profile-time`), a tombstone's is its Kafka timestamp; impossible times are bad
 * records as for events.
 */
export function createProfileDecoder(spec: { eventTime: EventTimeDefinition; maxAheadMs: number }, now: () => number = Date.now): (record: SourceRecord, phase: 'archive' | 'kafka') => ProfileVersion | string {
  return (record, phase) => {
    if (record.key === null || record.key.length === 0) return 'profile without a key: the Kafka record key names the user';
    const key = decoder.decode(record.key);
    const clock = phase === 'kafka' ? now() : null;
    if (record.value === null) {
      if (!(record.timestamp > 0)) return 'profile tombstone without a Kafka timestamp: its time is unknown';
      return impossibleTime(spec.maxAheadMs, record.timestamp, record.timestamp, clock) ?? { key, ts: record.timestamp, value: null };
    }
    const v = parseValue(record.value);
    if (v === NOT_JSON) return 'the profile value is not JSON';
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the profile value is JSON but not an object';
    const ts = phase === 'archive' ? checkArchivedTime(spec.eventTime, '--profile-time', v, record) : eventTimeOfValue(spec.eventTime, v, record.timestamp);
    if (ts === null) return `profile without a time: field '${spec.eventTime.text}' is missing, not epoch ms or ISO-8601, or beyond ±(2^53 − 1) ms (--profile-time)`;
    return impossibleTime(spec.maxAheadMs, ts, record.timestamp, clock) ?? { key, ts, value: v as Record<string, unknown> };
  };
}
