// `count`: the number of events in the session.

import { numberRow, type Aggregate } from '../aggregate.js';
import { accumulatorError } from './errors.js';

const add = (acc: number): number => acc + 1;

export const countAggregate: Aggregate<number, number> = {
  name: 'count',
  fields: [],
  createAccumulator: () => 0,
  add,
  merge: (a, b) => a + b,
  row: numberRow(add),
  getResult: (acc) => acc,
  toJson: (acc) => acc,
  fromJson(json) {
    if (typeof json !== 'number' || !Number.isSafeInteger(json) || json < 0) throw accumulatorError('count', json);
    return json;
  },
};
