// The one definition of event time that archive, sessions and sessionize share: a field of the record's JSON value
// (`ts`, or a dotted path `meta.ts`; epoch ms or ISO-8601) or the Kafka record timestamp.

import { UsageError } from './errors.js';
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
  if (def.path === null) return Number.isFinite(kafkaTimestamp) ? kafkaTimestamp : null;
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

/** What the byte scan concluded: the field's raw value, the field is absent, or "not certain, ask JSON.parse". */
const UNSURE = Symbol('unsure');
const MISSING = Symbol('missing');

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c, OPEN = 0x7b, CLOSE = 0x7d, MINUS = 0x2d, DOT = 0x2e;

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

function skipWs(v: Uint8Array, i: number): number {
  while (i < v.length && isWs(v[i]!)) i++;
  return i;
}

/** End of a plain string whose opening quote is at i-1: printable ASCII without escapes, else -1 (unsure). */
function plainStringEnd(v: Uint8Array, i: number): number {
  for (; i < v.length; i++) {
    const b = v[i]!;
    if (b === QUOTE) return i;
    if (b === BACKSLASH || b < 0x20 || b >= 0x80) return -1;
  }
  return -1;
}

/** End of a JSON number starting at i (strict JSON grammar), else -1. */
function numberEnd(v: Uint8Array, i: number): number {
  if (v[i] === MINUS) i++;
  if (v[i] === 0x30) i++;
  else if (isDigit(v[i])) while (isDigit(v[i])) i++;
  else return -1;
  if (v[i] === DOT) {
    i++;
    if (!isDigit(v[i])) return -1;
    while (isDigit(v[i])) i++;
  }
  if (v[i] === 0x65 || v[i] === 0x45) {
    i++;
    if (v[i] === 0x2b || v[i] === MINUS) i++;
    if (!isDigit(v[i])) return -1;
    while (isDigit(v[i])) i++;
  }
  return i;
}

/** The value of a JSON number the grammar accepted; plain integers of up to 15 digits without a string. */
function numberValue(v: Uint8Array, start: number, end: number): number {
  const neg = v[start] === MINUS;
  const first = neg ? start + 1 : start;
  if (end - first <= 15) {
    let n = 0;
    let i = first;
    for (; i < end; i++) {
      const b = v[i]!;
      if (b < 0x30 || b > 0x39) break;
      n = n * 10 + (b - 0x30);
    }
    if (i === end) return neg ? -n : n;
  }
  return Number(decoder.decode(v.subarray(start, end)));
}

function literalEnd(v: Uint8Array, i: number, word: Uint8Array): number {
  for (let k = 0; k < word.length; k++) if (v[i + k] !== word[k]) return -1;
  return i + word.length;
}

const TRUE = new TextEncoder().encode('true'), FALSE = new TextEncoder().encode('false'), NULL = new TextEncoder().encode('null');

/**
 * Reads a top-level field of a flat JSON object straight from its bytes. Exact or nothing: it validates the whole value and
 * answers UNSURE for anything beyond flat ASCII objects of strings, numbers and literals (nesting, escapes, non-ASCII,
 * duplicate field, a field value other than a number or string), so the caller then takes the JSON.parse path.
 */
function scanField(v: Uint8Array, field: Uint8Array): number | string | typeof MISSING | typeof UNSURE {
  let i = skipWs(v, 0);
  if (v[i] !== OPEN) return UNSURE;
  i = skipWs(v, i + 1);
  let found: number | string | typeof MISSING = MISSING;
  if (v[i] === CLOSE) return skipWs(v, i + 1) === v.length ? MISSING : UNSURE;
  for (;;) {
    if (v[i] !== QUOTE) return UNSURE;
    const keyStart = i + 1;
    const keyEnd = plainStringEnd(v, keyStart);
    if (keyEnd < 0) return UNSURE;
    let match = keyEnd - keyStart === field.length;
    for (let k = 0; match && k < field.length; k++) if (v[keyStart + k] !== field[k]) match = false;
    i = skipWs(v, keyEnd + 1);
    if (v[i] !== COLON) return UNSURE;
    i = skipWs(v, i + 1);
    const b = v[i];
    let end: number;
    if (b === QUOTE) {
      end = plainStringEnd(v, i + 1);
      if (end < 0) return UNSURE;
      if (match) {
        if (found !== MISSING) return UNSURE;
        found = decoder.decode(v.subarray(i + 1, end));
      }
      end++;
    } else if (b === MINUS || isDigit(b)) {
      end = numberEnd(v, i);
      if (end < 0) return UNSURE;
      if (match) {
        if (found !== MISSING) return UNSURE;
        found = numberValue(v, i, end);
      }
    } else {
      if (match) return UNSURE;
      end = b === 0x74 ? literalEnd(v, i, TRUE) : b === 0x66 ? literalEnd(v, i, FALSE) : b === 0x6e ? literalEnd(v, i, NULL) : -1;
      if (end < 0) return UNSURE;
    }
    i = skipWs(v, end);
    if (v[i] === COMMA) {
      i = skipWs(v, i + 1);
      continue;
    }
    if (v[i] !== CLOSE) return UNSURE;
    return skipWs(v, i + 1) === v.length ? found : UNSURE;
  }
}

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
  if (path === null) return (_value, ts) => ts;
  // A full JSON.parse of every value was a tenth of the archiver's time; a top-level field is read from the bytes instead.
  if (path.length !== 1) return (value) => (value === null || value.byteLength === 0 ? null : parsedEventTime(def, value));
  const field = new TextEncoder().encode(path[0]!);
  return (value) => {
    if (value === null || value.byteLength === 0) return null;
    const scanned = scanField(value, field);
    if (scanned === UNSURE) return parsedEventTime(def, value);
    if (scanned === MISSING) return null;
    return parseEventTime(scanned);
  };
}

/** The JSON.parse answer alone, for tests that hold the byte scan to it. */
export function eventTimeByParse(def: EventTimeDefinition): EventTimeExtractor {
  return (value, ts) => (def.path === null ? ts : value === null || value.byteLength === 0 ? null : parsedEventTime(def, value));
}
