// `sum:FIELD`: the sum of a numeric field over the session's events.

import { UsageError } from '../../errors.js';
import { numberRow, type Aggregate } from '../aggregate.js';
import { accumulatorError } from './errors.js';

function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

export function sumAggregate(field: string): Aggregate<number, number> {
  if (field === '') throw new UsageError(`--aggregate sum:FIELD: name the field to sum, e.g. sum:durationMs`);
  const name = `sum:${field}`;
  const add = (acc: number, _ts: number, event: Record<string, unknown>): number => acc + numberOf(event[field]);
  return {
    name,
    fields: [field],
    createAccumulator: () => 0,
    add,
    merge: (a, b) => a + b,
    row: numberRow(add),
    getResult: (acc) => acc,
    check(event) {
      return Number.isFinite(numberOf(event[field])) ? null : `field '${field}' is not a number`;
    },
    toJson: (acc) => acc,
    fromJson(json) {
      if (typeof json !== 'number' || !Number.isFinite(json)) throw accumulatorError(name, json);
      return json;
    },
  };
}
