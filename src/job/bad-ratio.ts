// How many unusable records a run accepts: a run where most records are bad (a wrong --key-field or --event-time, a
// topic of another shape) has not computed what it was asked to, so it must not end with exit 0.

import { BadRecordError, UsageError } from '../errors.js';

/** `--max-bad-ratio`'s default: more than 5% of the records unusable fails the run (exit 2). */
export const DEFAULT_MAX_BAD_RATIO = 0.05;

/** Parses a ratio from 0 to 1 (`0.05`) or a percentage (`5%`). */
export function parseBadRatio(text: string, what = '--max-bad-ratio'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const ratio = m ? Number(m[1]) / (m[2] === '%' ? 100 : 1) : NaN;
  if (!(ratio >= 0 && ratio <= 1)) throw new UsageError(`${what}: '${text}' is not a ratio from 0 to 1 (e.g. 0.05 or 5%)`);
  return ratio;
}

/**
 * BadRecordError (exit 2) when more than `max` of `total` records could not be used; `example` (the first bad
 * record's reason) says what was wrong. Nothing when the share is within `max`.
 */
export function checkBadRatio(bad: number, total: number, max: number, example: string | null): void {
  if (total === 0 || bad / total <= max) return;
  const percent = (n: number) => `${Math.round(n * 10_000) / 100}%`;
  throw new BadRecordError(`${bad} of ${total} records (${percent(bad / total)}) could not be used${example ? ` (the first: ${example})` : ''}, more than --max-bad-ratio ${max} allows; check --key-field and --event-time against the data, or raise --max-bad-ratio`);
}

/** `--max-bad-ratio`, the same for `oxbow sessions` and `oxbow sessionize`: `.option(...MAX_BAD_RATIO_OPTION)`. */
export const MAX_BAD_RATIO_OPTION = [
  '--max-bad-ratio <ratio>',
  'fail (exit 2) when more than this share of the records cannot be used (bad JSON, no key, no event time): 0 to 1, or a percentage',
  String(DEFAULT_MAX_BAD_RATIO),
] as const;
