// A source record becomes a session event exactly once: value JSON parsed once, the key, the event time by the one
// definition, the checks that keep impossible times out of the watermark; what fails is a named bad record.

import { EventTimeMismatchError } from '../errors.js';
import { type EventTimeDefinition, eventTimeOfValue } from '../event-time.js';
import type { SourceRecord } from '../source/types.js';
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
}

/** Default of `--max-event-time-ahead`. */
export const DEFAULT_MAX_AHEAD_MS = 3_600_000;

const decoder = new TextDecoder();

/** Epoch ms as ISO-8601 where the Date range allows it, else as a number. */
function isoTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

/**
 * The decoder for a spec. `phase` is where the record was read: an archived record carries the event time the archiver
 * stored, which must equal the job's reading of it (an archive written in another clock is refused, never replayed).
 */
export function createDecoder(spec: EventSpec, now: () => number = Date.now): (record: SourceRecord, phase: 'archive' | 'kafka') => Decoded {
  const { keyField, eventTime, maxAheadMs, check } = spec;
  const ahead = formatDuration(maxAheadMs);
  return (record, phase) => {
    if (record.value === null) return 'the value is empty (null)';
    let v: unknown;
    try {
      v = JSON.parse(decoder.decode(record.value));
    } catch {
      return 'the value is not JSON';
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the value is JSON but not an object';
    const event = v as Record<string, unknown>;
    const ts = eventTimeOfValue(eventTime, event, record.timestamp);
    if (phase === 'archive' && ts !== record.eventTime) {
      throw new EventTimeMismatchError(
        `--event-time ${eventTime.text}: archived record at offset ${record.offset} has event time ${record.eventTime ?? 'none'} in the archive, ` +
        `but ${ts ?? 'none'} by --event-time ${eventTime.text}; the archive was written with another event-time definition ` +
        `(oxbow 0.1 archives default to kafka-timestamp). Pass the archive's definition with --event-time, or archive the topic again with --event-time ${eventTime.text}`);
    }
    const k = event[keyField];
    if (typeof k !== 'string' && typeof k !== 'number') return `no '${keyField}' (string or number) in the value`;
    if (ts === null) return `no usable event time in '${eventTime.text}' (epoch ms or ISO-8601)`;
    // A Kafka timestamp <= 0 means none was set (old message formats): nothing to hold the time against.
    if (record.timestamp > 0 && ts - record.timestamp > maxAheadMs) {
      return `event time ${isoTime(ts)} is more than ${ahead} ahead of its Kafka record timestamp ${isoTime(record.timestamp)} (--max-event-time-ahead)`;
    }
    if (phase === 'kafka' && ts - now() > maxAheadMs) {
      return `event time ${isoTime(ts)} is more than ${ahead} ahead of the clock (--max-event-time-ahead)`;
    }
    const why = check?.(event) ?? null;
    if (why !== null) return why;
    return { key: String(k), ts, event };
  };
}
