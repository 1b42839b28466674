// fixtures/sample-archive/'s listens (an archive of oxbow 0.1: 3 days of music events, 2 partitions) as the job-path
// tests read it, and the oracle they compare with: every archived event through one engine in event-time order.

import { resolve } from 'node:path';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../src/archive/partition-index.js';
import { SessionEngine } from '../../src/engine/session-engine.js';
import type { SessionEngineOptions } from '../../src/engine/types.js';
import { parseEventTimeDefinition } from '../../src/event-time.js';
import type { SessionsJobSpec } from '../../src/job/assemble.js';
import { DEFAULT_MAX_AHEAD_MS } from '../../src/job/decode.js';
import { sessionWindows } from '../../src/engine/window-spec.js';
import { outputLine } from '../../src/sink/types.js';
import { archiveCatalog } from '../../src/source/archive-catalog.js';

export const sampleFs = new LocalFs();
export const sampleCatalog = archiveCatalog(sampleFs, resolve('fixtures/sample-archive'), 'listens', formatRegistry([parquetFormat, jsonlGzFormat]));
export const sampleOptions: SessionEngineOptions = { gapMs: 30 * 60_000, aggregate: 'listening' };
/** The sample's profiles topic (`--profiles profiles`). */
export const sampleProfilesCatalog = archiveCatalog(sampleFs, resolve('fixtures/sample-archive'), 'profiles', formatRegistry([parquetFormat, jsonlGzFormat]));
/** `spec.profiles` of a job over the sample with `--profiles profiles`. */
export const sampleProfilesSpec = { topic: 'profiles', partitions: [0, 1], eventTime: parseEventTimeDefinition('ts') };

/** The oracle's as-of join: the version of `key` with the greatest time <= `at` (the later on equal times); null for none or a tombstone. */
export function profileAsOf(versions: readonly { userId: string; ts: number; value: object | null }[], key: string, at: number): object | null {
  let found: object | null = null;
  for (const v of versions) if (v.userId === key && v.ts <= at) found = v.value;
  return found;
}

/** The spec of a replay of the sample archive alone (no Kafka), as `oxbow sessions --archive fixtures/sample-archive --topic listens` runs it. */
export function sampleSpec(over: Partial<SessionsJobSpec> = {}): SessionsJobSpec {
  return {
    topic: 'listens', partitions: [0, 1], windows: sessionWindows(sampleOptions),
    event: { keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: DEFAULT_MAX_AHEAD_MS },
    boundMs: 30_000, checkpointIntervalMs: 60_000, ...over,
  };
}

/** Every session of one offline pass over the sample archive, as output lines (sorted), those ending after `after` only. */
export async function offlineSampleSessions(after = Number.NEGATIVE_INFINITY): Promise<string[]> {
  const lines: string[] = [];
  const engine = new SessionEngine(sampleOptions, {
    result: (r) => { if (r.end - 1 > after) lines.push(outputLine({ type: 'session', ...r })); },
    retraction: () => {},
    late: () => {},
  });
  const events: { p: number; e: Record<string, unknown> }[] = [];
  for (const p of [0, 1]) {
    for (const f of await sampleCatalog.listFiles(p)) {
      for await (const batch of sampleCatalog.readFile(f)) for (const r of batch) events.push({ p, e: JSON.parse(Buffer.from(r.value!).toString('utf8')) as Record<string, unknown> });
    }
  }
  events.sort((a, b) => Number(a.e.ts) - Number(b.e.ts));
  for (const { p, e } of events) engine.processEvent(p, String(e.userId), Number(e.ts), e);
  engine.finish();
  return lines.sort();
}
