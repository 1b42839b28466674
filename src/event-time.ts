// The one definition of event time that archive, sessions and sessionize share: a field of the record's JSON value
// (`ts`, or a dotted path `meta.ts`; epoch ms or ISO-8601) or the Kafka record timestamp.

import { UsageError } from './errors.js';
import { ABSENT, scanFields, scanFlatObject, UNSURE } from './json-scan.js';
import { parseEventTime } from './time.js';

/** The default of every command: the music events' `ts` field. */
export const DEFAULT_EVENT_TIME = 'ts';
export const KAFKA_TIMESTAMP = 'kafka-timestamp';

/**
 * An event-time definition. `text` is its one spelling, the one the archive records in each file and index entry and
 * the one every message names; `path` is the value field's path, or null for the Kafka record timestamp.
 */
export interface EventTimeDefinition {
  readonly text: string;
  readonly path: readonly string[] | null;
}

/** `--event-time` as typed; a UsageError names the option and what is accepted. */
export function parseEventTimeDefinition(text: string, option = '--event-time'): EventTimeDefinition {
  const t = text.trim();
  if (t === KAFKA_TIMESTAMP) return { text: t, path: null };
  if (!/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/.test(t)) {
    throw new UsageError(`${option}: '${text}' is neither '${KAFKA_TIMESTAMP}' nor a JSON field name such as 'ts' or 'meta.ts'`);
  }
  return { text: t, path: t.split('.') };
}

/** The event time of a record whose value is already parsed: what the sessions job uses (no second parse). */
export function eventTimeOfValue(def: EventTimeDefinition, value: unknown, kafkaTimestamp: number): number | null {
  if (def.path === null) return Number.isSafeInteger(kafkaTimestamp) ? kafkaTimestamp : null;
  let node = value;
  for (const part of def.path) {
    if (typeof node !== 'object' || node === null) return null;
    node = (node as Record<string, unknown>)[part];
  }
  return parseEventTime(node);
}

/** Reads the event time from a record's value bytes (or its Kafka timestamp): what the archiver stores per record. */
export type EventTimeExtractor = (value: Uint8Array | null, kafkaTimestamp: number) => number | null;

const decoder = new TextDecoder();

/** The JSON.parse path: the reference answer, and what every value the scan is not certain about takes. */
function parsedEventTime(def: EventTimeDefinition, value: Uint8Array): number | null {
  let node: unknown;
  try {
    node = JSON.parse(decoder.decode(value));
  } catch {
    return null;
  }
  return eventTimeOfValue(def, node, Number.NaN);
}

/** The archiver's extractor for a definition; null when the record has no usable time. */
export function eventTimeExtractor(def: EventTimeDefinition): EventTimeExtractor {
  const path = def.path;
  if (path === null) return (_value, ts) => (Number.isSafeInteger(ts) ? ts : null);
  // A full JSON.parse of every value was a tenth of the archiver's time; a top-level field is read from the bytes instead.
  if (path.length !== 1) return (value) => (value === null || value.byteLength === 0 ? null : parsedEventTime(def, value));
  const fields = scanFields(path);
  return (value) => {
    if (value === null || value.byteLength === 0) return null;
    const scanned = scanFlatObject(value, fields);
    if (scanned === UNSURE) return parsedEventTime(def, value);
    const time = scanned[0]!;
    return time === ABSENT ? null : parseEventTime(time);
  };
}

/** The JSON.parse answer alone, for tests that hold the byte scan to it. */
export function eventTimeByParse(def: EventTimeDefinition): EventTimeExtractor {
  return (value, ts) => (def.path === null ? ts : value === null || value.byteLength === 0 ? null : parsedEventTime(def, value));
}
