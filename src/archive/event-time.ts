// `--event-time FIELD|kafka-timestamp`: how an archived record's event time is read from its value or its Kafka timestamp.

import { UsageError } from '../errors.js';
import { parseEventTime } from '../time.js';

export type EventTimeExtractor = (value: Uint8Array | null, kafkaTimestamp: number) => number | null;

const decoder = new TextDecoder();

/** `kafka-timestamp`, or a JSON field of the value (`ts`, or a dotted path such as `meta.ts`); null when unusable. */
export function eventTimeExtractor(spec: string): EventTimeExtractor {
  if (spec === 'kafka-timestamp') return (_value, ts) => ts;
  if (!/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/.test(spec)) {
    throw new UsageError(`--event-time: '${spec}' is neither 'kafka-timestamp' nor a JSON field name such as 'ts' or 'meta.ts'`);
  }
  const path = spec.split('.');
  return (value) => {
    if (value === null || value.byteLength === 0) return null;
    let node: unknown;
    try {
      node = JSON.parse(decoder.decode(value));
    } catch {
      return null;
    }
    for (const part of path) {
      if (typeof node !== 'object' || node === null) return null;
      node = (node as Record<string, unknown>)[part];
    }
    return parseEventTime(node);
  };
}
