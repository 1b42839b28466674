// Builds fixtures/sample-archive/: three days of music events of 60 users (topic listens) and the same users' profile
// versions (topic profiles, for `oxbow sessions --profiles profiles`), 2 partitions each, Parquet, with index.
// Run: npm run build && node dist/tools/gen/build-sample-archive.js [dir]  (deterministic: same seed, same records)
// A topic already in [dir] is left as it is: the sample's listens are an archive of oxbow 0.1 (metadata version 1),
// which readers of every later version must keep reading, so a rebuild adds a missing topic and never rewrites one.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { listTopics } from '../../src/archive/reader.js';
import { generateMusicEvents, generateProfileVersions } from '../../src/gen/music-events.js';
import { eventRecord, profileRecord, writeMusicArchive, type MusicArchiveResult } from './music-archive.js';

const HOUR = 3_600_000;
/** The sample's users and period: one options object for both generators, so the profiles are the listeners'. */
const users = { seed: 42, users: 60, start: Date.UTC(2026, 10, 1), durationMs: 3 * 24 * HOUR };
export const SAMPLE_PARTITIONS = 2;
export const sampleEvents = () => generateMusicEvents({ ...users, maxDisorderMs: 5000 });
/** Initial versions in the day before the first events, so most sessions find a profile. */
export const sampleProfiles = () => generateProfileVersions({ ...users, leadMs: 24 * HOUR });

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? 'fixtures/sample-archive');
  const fs = new LocalFs();
  const existing = await listTopics(fs, dir);
  const build = async (topic: string, write: () => Promise<MusicArchiveResult>): Promise<void> => {
    if (existing.includes(topic)) {
      process.stdout.write(`${dir}: topic ${topic} exists; left as it is\n`);
      return;
    }
    const result = await write();
    process.stdout.write(`${dir}: topic ${topic}: ${result.records} records in ${result.files} files; next offsets ${result.nextOffsets.join(', ')}\n`);
  };
  const common = { fs, root: dir, partitions: SAMPLE_PARTITIONS };
  await build('listens', () => writeMusicArchive({ ...common, topic: 'listens', periodMs: 6 * HOUR, items: sampleEvents(), record: eventRecord }));
  await build('profiles', () => writeMusicArchive({ ...common, topic: 'profiles', periodMs: 24 * HOUR, items: sampleProfiles(), record: profileRecord }));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`build-sample-archive: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
