#!/usr/bin/env node
// Entry point of the `oxbow` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`oxbow: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
