// The error an aggregate raises for an accumulator in a snapshot that it cannot read; the savepoint loader names the file.

import { CorruptFileError } from '../../errors.js';

export function accumulatorError(aggregate: string, json: unknown): CorruptFileError {
  const shown = JSON.stringify(json);
  return new CorruptFileError('', `a '${aggregate}' accumulator in the snapshot is not valid: ${shown === undefined ? String(json) : shown.slice(0, 120)}`);
}
