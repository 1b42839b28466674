// The exact byte scan of flat JSON objects: chosen top-level fields read straight from a record's value bytes, without
// decoding the text or building the object. Exact or nothing: it answers only for what it can read with certainty, and
// UNSURE otherwise, so that every caller falls back to JSON.parse and the answer is always what JSON.parse gives.

/** The scan could not be certain (nesting, escapes, non-ASCII, a duplicated wanted field, not JSON): ask JSON.parse. */
export const UNSURE = Symbol('unsure');
/** A wanted field the object does not have. */
export const ABSENT = Symbol('absent');

/** A top-level value the scan reads: a string of printable ASCII, a number, true, false or null. */
export type ScannedValue = string | number | boolean | null | typeof ABSENT;

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c, OPEN = 0x7b, CLOSE = 0x7d, MINUS = 0x2d, DOT = 0x2e;

const decoder = new TextDecoder();

function skipWs(v: Uint8Array, i: number, to: number): number {
  for (; i < to; i++) {
    const b = v[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
  }
  return i;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** What a byte is inside a string: 0 a plain character, 1 the closing quote, 2 what the scan does not read (an escape, a control character, a byte of non-ASCII text). */
const IN_STRING = new Uint8Array(256).map((_, b) => (b === QUOTE ? 1 : b === BACKSLASH || b < 0x20 || b >= 0x80 ? 2 : 0));

/** End of a plain string whose opening quote is at i-1: printable ASCII without escapes, else -1 (unsure). */
function plainStringEnd(v: Uint8Array, i: number, to: number): number {
  // One table load per byte rather than four comparisons.
  for (; i < to; i++) {
    const c = IN_STRING[v[i]!]!;
    if (c !== 0) return c === 1 ? i : -1;
  }
  return -1;
}

/**
 * The text of a plain (ASCII) string: short ones built in place, which is faster than a decoder call per string; up to
 * 8 characters (keys, event types) in one allocation rather than one per character.
 */
function plainString(v: Uint8Array, start: number, end: number): string {
  switch (end - start) {
    case 0: return '';
    case 1: return String.fromCharCode(v[start]!);
    case 2: return String.fromCharCode(v[start]!, v[start + 1]!);
    case 3: return String.fromCharCode(v[start]!, v[start + 1]!, v[start + 2]!);
    case 4: return String.fromCharCode(v[start]!, v[start + 1]!, v[start + 2]!, v[start + 3]!);
    case 5: return String.fromCharCode(v[start]!, v[start + 1]!, v[start + 2]!, v[start + 3]!, v[start + 4]!);
    case 6: return String.fromCharCode(v[start]!, v[start + 1]!, v[start + 2]!, v[start + 3]!, v[start + 4]!, v[start + 5]!);
    case 7: return String.fromCharCode(v[start]!, v[start + 1]!, v[start + 2]!, v[start + 3]!, v[start + 4]!, v[start + 5]!, v[start + 6]!);
    case 8: return String.fromCharCode(v[start]!, v[start + 1]!, v[start + 2]!, v[start + 3]!, v[start + 4]!, v[start + 5]!, v[start + 6]!, v[start + 7]!);
  }
  if (end - start > 24) return decoder.decode(v.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(v[i]!);
  return s;
}

/** End of a JSON number starting at i (strict JSON grammar) and ending by `to`, else -1. */
function numberEnd(v: Uint8Array, i: number, to: number): number {
  if (i < to && v[i] === MINUS) i++;
  if (i === to) return -1;
  let b = v[i]!;
  if (b === 0x30) i++;
  else if (b > 0x30 && b <= 0x39) for (i++; i < to && (b = v[i]!) >= 0x30 && b <= 0x39;) i++;
  else return -1;
  if (i < to && v[i] === DOT) {
    i++;
    if (!(i < to && isDigit(v[i]))) return -1;
    while (i < to && isDigit(v[i])) i++;
  }
  if (i < to && (v[i] === 0x65 || v[i] === 0x45)) {
    i++;
    if (i < to && (v[i] === 0x2b || v[i] === MINUS)) i++;
    if (!(i < to && isDigit(v[i]))) return -1;
    while (i < to && isDigit(v[i])) i++;
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

const T = 0x74, F = 0x66, N = 0x6e;

/** End of the literal `true`, `false` or `null` starting at i and ending by `to`, else -1. */
function literalEnd(v: Uint8Array, i: number, to: number): number {
  const b = v[i];
  if (b === T) return i + 4 <= to && v[i + 1] === 0x72 && v[i + 2] === 0x75 && v[i + 3] === 0x65 ? i + 4 : -1;
  if (b === F) return i + 5 <= to && v[i + 1] === 0x61 && v[i + 2] === 0x6c && v[i + 3] === 0x73 && v[i + 4] === 0x65 ? i + 5 : -1;
  if (b === N) return i + 4 <= to && v[i + 1] === 0x75 && v[i + 2] === 0x6c && v[i + 3] === 0x6c ? i + 4 : -1;
  return -1;
}

/** Field names as the bytes a scan compares keys with (names are compared byte for byte, as JSON.parse's keys are). */
export function scanFields(names: readonly string[]): Uint8Array[] {
  return names.map((n) => new TextEncoder().encode(n));
}

/**
 * The values of `fields` (from `scanFields`) in a flat JSON object's bytes, in the order asked (ABSENT for a missing
 * one); UNSURE unless the whole value is a flat object of ASCII keys whose values are plain strings, numbers and
 * literals, with no wanted field twice. The whole value is checked, so a value that is not JSON is never answered for.
 * `out`, when given, is filled and returned instead of a new array (a caller that reads it at once, once per record).
 * The value is `v[from..to)` (default the whole of `v`): a caller holding many values in one buffer (lines) scans each
 * in place; nothing outside the range is read.
 */
export function scanFlatObject(
  v: Uint8Array, fields: readonly Uint8Array[], out: ScannedValue[] = new Array<ScannedValue>(fields.length), from = 0, to = v.length,
): ScannedValue[] | typeof UNSURE {
  const count = fields.length;
  for (let f = 0; f < count; f++) out[f] = ABSENT;
  // Whitespace is skipped only where a byte of at most 0x20 stands: a compact object takes no call.
  let i = from < to && v[from]! <= 0x20 ? skipWs(v, from, to) : from;
  if (i === to || v[i] !== OPEN) return UNSURE;
  i++;
  if (i < to && v[i]! <= 0x20) i = skipWs(v, i, to);
  if (i < to && v[i] === CLOSE) return skipWs(v, i + 1, to) === to ? out : UNSURE;
  for (;;) {
    if (i === to || v[i] !== QUOTE) return UNSURE;
    const keyStart = i + 1;
    const keyEnd = plainStringEnd(v, keyStart, to);
    if (keyEnd < 0) return UNSURE;
    const keyLength = keyEnd - keyStart;
    let wanted = -1;
    for (let f = 0; f < count; f++) {
      const name = fields[f]!;
      if (name.length !== keyLength) continue;
      let k = 0;
      while (k < keyLength && v[keyStart + k] === name[k]) k++;
      if (k === keyLength) {
        wanted = f;
        break;
      }
    }
    i = keyEnd + 1;
    if (i < to && v[i]! <= 0x20) i = skipWs(v, i, to);
    if (i === to || v[i] !== COLON) return UNSURE;
    i++;
    if (i < to && v[i]! <= 0x20) i = skipWs(v, i, to);
    if (i === to) return UNSURE;
    const b = v[i]!;
    let end: number;
    let value: ScannedValue;
    if (b === QUOTE) {
      end = plainStringEnd(v, i + 1, to);
      if (end < 0) return UNSURE;
      value = wanted >= 0 ? plainString(v, i + 1, end) : '';
      end++;
    } else if (b === MINUS || (b >= 0x30 && b <= 0x39)) {
      end = numberEnd(v, i, to);
      if (end < 0) return UNSURE;
      value = wanted >= 0 ? numberValue(v, i, end) : 0;
    } else {
      end = literalEnd(v, i, to);
      if (end < 0) return UNSURE;
      value = b === T ? true : b === F ? false : null;
    }
    if (wanted >= 0) {
      // JSON.parse keeps the last of a duplicated key; certainty is cheaper than mimicking it.
      if (out[wanted] !== ABSENT) return UNSURE;
      out[wanted] = value;
    }
    i = end;
    if (i < to && v[i]! <= 0x20) i = skipWs(v, i, to);
    if (i < to && v[i] === COMMA) {
      i++;
      if (i < to && v[i]! <= 0x20) i = skipWs(v, i, to);
      continue;
    }
    if (i === to || v[i] !== CLOSE) return UNSURE;
    return skipWs(v, i + 1, to) === to ? out : UNSURE;
  }
}
