// Durations (`1500ms`, `5s`, `30m`, `2h`, `1d`), sizes (`64MiB`), counts and event timestamps (epoch ms or ISO-8601)
// are parsed here and nowhere else.

import { UsageError } from './errors.js';

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse a DURATION option value into milliseconds; `what` names the option in the error. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) {
    throw new UsageError(`${what}: '${text}' is not a duration; write a number and a unit, e.g. 1500ms, 5s, 30m, 2h or 1d`);
  }
  const ms = Number(match[1]) * durationUnits[match[2]!]!;
  if (!Number.isSafeInteger(Math.round(ms))) throw new UsageError(`${what}: '${text}' is too large`);
  return Math.round(ms);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms !== 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms !== 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const sizeUnits: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};

/** Parse a SIZE option value (`1048576`, `64MiB`, `1GB`) into bytes. */
export function parseSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? sizeUnits[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(`${what}: '${text}' is not a size; write bytes or a unit, e.g. 1048576, 64MiB, 1GB`);
  }
  return Math.round(Number(match[1]) * unit);
}

/** Parse a COUNT option value: a whole number of at least `min` (digits only: no sign, exponent or fraction). */
export function parseCount(text: string, what = 'count', min = 1): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${what}: '${text}' is not a whole number >= ${min}`);
  return n;
}

const isoPattern = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An event time from a JSON value: a number is epoch ms (its fraction dropped), a string is epoch ms digits or
 * ISO-8601. Returns null when the value holds no usable time (callers count and report such records), and so for a
 * number beyond ±(2^53 − 1) ms, about 285,000 years: such a number (1e300, a time in nanoseconds) is no time oxbow can
 * hold exactly, nor one an archive's INT64 column takes.
 */
export function parseEventTime(value: unknown): number | null {
  if (typeof value === 'number') {
    const ms = Math.trunc(value);
    return Number.isSafeInteger(ms) ? ms : null;
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : null;
  }
  if (!isoPattern.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
