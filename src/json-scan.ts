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

/** End of a plain string whose opening quote is at i-1: printable ASCII without escapes, else -1 (unsure). */
function plainStringEnd(v: Uint8Array, i: number, to: number): number {
  for (; i < to; i++) {
    const b = v[i]!;
    if (b === QUOTE) return i;
    if (b === BACKSLASH || b < 0x20 || b >= 0x80) return -1;
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
  if (i < to && v[i] === 0x30) i++;
  else if (i < to && isDigit(v[i])) while (i < to && isDigit(v[i])) i++;
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

const LITERALS: readonly [Uint8Array, boolean | null][] = [
  [new TextEncoder().encode('true'), true], [new TextEncoder().encode('false'), false], [new TextEncoder().encode('null'), null],
];

/** End of the literal starting at i and ending by `to`, and its value; null when none starts there. */
function literalAt(v: Uint8Array, i: number, to: number): [number, boolean | null] | null {
  for (const [word, value] of LITERALS) {
    let k = 0;
    while (k < word.length && i + k < to && v[i + k] === word[k]) k++;
    if (k === word.length) return [i + k, value];
  }
  return null;
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
  for (let f = 0; f < fields.length; f++) out[f] = ABSENT;
  let i = skipWs(v, from, to);
  if (i === to || v[i] !== OPEN) return UNSURE;
  i = skipWs(v, i + 1, to);
  if (i < to && v[i] === CLOSE) return skipWs(v, i + 1, to) === to ? out : UNSURE;
  for (;;) {
    if (i === to || v[i] !== QUOTE) return UNSURE;
    const keyStart = i + 1;
    const keyEnd = plainStringEnd(v, keyStart, to);
    if (keyEnd < 0) return UNSURE;
    let wanted = -1;
    for (let f = 0; f < fields.length && wanted < 0; f++) {
      const name = fields[f]!;
      if (name.length !== keyEnd - keyStart) continue;
      let k = 0;
      while (k < name.length && v[keyStart + k] === name[k]) k++;
      if (k === name.length) wanted = f;
    }
    i = skipWs(v, keyEnd + 1, to);
    if (i === to || v[i] !== COLON) return UNSURE;
    i = skipWs(v, i + 1, to);
    if (i === to) return UNSURE;
    const b = v[i];
    let end: number;
    let value: ScannedValue;
    if (b === QUOTE) {
      end = plainStringEnd(v, i + 1, to);
      if (end < 0) return UNSURE;
      value = wanted >= 0 ? plainString(v, i + 1, end) : '';
      end++;
    } else if (b === MINUS || isDigit(b)) {
      end = numberEnd(v, i, to);
      if (end < 0) return UNSURE;
      value = wanted >= 0 ? numberValue(v, i, end) : 0;
    } else {
      const literal = literalAt(v, i, to);
      if (literal === null) return UNSURE;
      [end, value] = literal;
    }
    if (wanted >= 0) {
      // JSON.parse keeps the last of a duplicated key; certainty is cheaper than mimicking it.
      if (out[wanted] !== ABSENT) return UNSURE;
      out[wanted] = value;
    }
    i = skipWs(v, end, to);
    if (i < to && v[i] === COMMA) {
      i = skipWs(v, i + 1, to);
      continue;
    }
    if (i === to || v[i] !== CLOSE) return UNSURE;
    return skipWs(v, i + 1, to) === to ? out : UNSURE;
  }
}
