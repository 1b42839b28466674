// Builds fixtures/sample-archive/: three days of music events of 60 users, 2 partitions, Parquet files per 6 hours, with index.
// Run: npm run build && node dist/tools/gen/build-sample-archive.js [dir]  (deterministic: same seed, same events)

import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { generateMusicEvents } from '../../src/gen/music-events.js';
import { writeMusicArchive } from './music-archive.js';

export const SAMPLE_TOPIC = 'listens';

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? 'fixtures/sample-archive');
  await rm(dir, { recursive: true, force: true });
  const result = await writeMusicArchive({
    fs: new LocalFs(),
    root: dir,
    topic: SAMPLE_TOPIC,
    partitions: 2,
    events: generateMusicEvents({ seed: 42, users: 60, start: Date.UTC(2026, 10, 1), durationMs: 3 * 86_400_000, maxDisorderMs: 5000 }),
    periodMs: 6 * 3_600_000,
  });
  process.stdout.write(`${dir}: ${result.records} records in ${result.files} files; next offsets ${result.nextOffsets.join(', ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build-sample-archive: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
