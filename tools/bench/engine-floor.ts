// The floor `oxbow sessionize` is measured against: read the same JSONL line by line and JSON.parse each line, nothing else.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: node dist/tools/bench/engine-floor.js FILE.jsonl\n');
  process.exit(2);
}
let n = 0;
let check = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  const o = JSON.parse(line) as { ts: number };
  check += o.ts & 1;
  n++;
}
process.stdout.write(`${n} ${check}\n`);
