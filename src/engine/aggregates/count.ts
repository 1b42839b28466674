// `count`: the number of events in the session.

import type { Aggregate } from '../aggregate.js';
import { accumulatorError } from './errors.js';

export const countAggregate: Aggregate<number, number> = {
  name: 'count',
  fields: [],
  createAccumulator: () => 0,
  add: (acc) => acc + 1,
  merge: (a, b) => a + b,
  getResult: (acc) => acc,
  toJson: (acc) => acc,
  fromJson(json) {
    if (typeof json !== 'number' || !Number.isSafeInteger(json) || json < 0) throw accumulatorError('count', json);
    return json;
  },
};
