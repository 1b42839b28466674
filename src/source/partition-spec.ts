// Parses `--partitions 0-3,7` into a sorted list of partition numbers.

import { UsageError } from '../errors.js';

export function parsePartitionSpec(text: string, what = '--partitions'): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`${what}: '${part}' is not a partition or a range; write e.g. 0-3,7`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`${what}: '${part}' runs backwards; write the lower partition first`);
    if (to - from > 100_000) throw new UsageError(`${what}: '${part}' is too wide a range`);
    for (let p = from; p <= to; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}
