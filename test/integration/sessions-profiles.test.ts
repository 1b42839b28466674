// `oxbow sessions --profiles` against the real Kafka and HDFS (docs/sessions.md, "Enrichment with slowly changing
// profiles"): every session carries the profile version valid at its start. A year of events keyed by user and a
// compacted profiles topic are archived to HDFS; Kafka then compacts the profiles, so that only the archive still holds
// the old versions; a live tail adds events and profile changes. The oracle is independent of the job: the sessions of
// one offline pass over every produced event, joined as of each session's start with every produced profile version
// (those Kafka compacted away included): the greatest time <= start, equal times by produce order, a tombstone or none
// => null.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createProducer } from '../../connectors/kafka/client.js';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { loadPartitionIndex } from '../../src/archive/partition-index.js';
import type { Checkpoint } from '../../src/checkpoint/format.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { generateMusicEvents, partitionOf, type MusicEvent } from '../../src/gen/music-events.js';
import { Prng } from '../../src/gen/prng.js';
import { brokers, formats, kafka, kafkaLog, readBack, removeArchive, runCli, startCli, uniqueName, webhdfsArchive } from './archive-support.js';
import { killAtCheckpoint, offlineSessions, produceEvents, publishedLines, summaryValue } from './sessions-support.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const GAP_MS = 30 * 60_000;
const EVENT_PARTITIONS = 4;
const PROFILE_PARTITIONS = 2;
/** Archive files of this many records: several per events partition, one per profiles partition and archive run. */
const ROTATE_RECORDS = 400;

interface Session { key: string; start: number; end: number; firing: string; result: unknown }
type ProfileValue = Record<string, unknown>;
/** One profile record as produced: `seq` is its place in the produce order (offsets of one key follow it). */
interface Version { key: string | null; partition: number; time: number; value: ProfileValue | null; raw?: string; seq: number }

/** JSON with object keys sorted at every level: two lines with the same content compare equal. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort(value));
}

/** The oracle's join: the version of `key` with the greatest time <= `at`, equal times by produce order; null for none or a tombstone. */
function versionAt(byKey: Map<string, Version[]>, key: string, at: number): Version | null {
  let best: Version | null = null;
  for (const v of byKey.get(key) ?? []) {
    if (v.time <= at && (best === null || v.time > best.time || (v.time === best.time && v.seq > best.seq))) best = v;
  }
  return best;
}

function byKey(versions: readonly Version[]): Map<string, Version[]> {
  const map = new Map<string, Version[]>();
  for (const v of versions) {
    if (v.key === null) continue;
    map.set(v.key, [...(map.get(v.key) ?? []), v]);
  }
  return map;
}

/** The expected output: each offline session with its events partition and the profile valid at its start. */
function expectedOutput(sessions: readonly Session[], partitions: number, versions: readonly Version[]): { lines: string[]; chosen: (Version | null)[]; withoutProfile: number } {
  const index = byKey(versions);
  const chosen = sessions.map((s) => versionAt(index, s.key, s.start));
  const lines = sessions.map((s, i) => canonical({ ...s, partition: partitionOf(s.key, partitions), profile: chosen[i]?.value ?? null })).sort();
  return { lines, chosen, withoutProfile: chosen.filter((v) => v === null || v.value === null).length };
}

/** Asserts the published lines are exactly the expected ones: same content, none missing, none extra, none twice. */
function assertSameLines(got: readonly string[], want: readonly string[], what: string): void {
  const gotSorted = got.map((l) => canonical(JSON.parse(l))).sort();
  const counts = new Map<string, number>();
  for (const l of gotSorted) counts.set(l, (counts.get(l) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([l, n]) => `${n}x ${l}`);
  const wantSet = new Set(want);
  const gotSet = new Set(gotSorted);
  const extra = [...gotSet].filter((l) => !wantSet.has(l));
  const missing = want.filter((l) => !gotSet.has(l));
  const show = (list: string[]) => list.slice(0, 8).join('\n    ') + (list.length > 8 ? `\n    ... ${list.length - 8} more` : '');
  assert.ok(twice.length === 0 && extra.length === 0 && missing.length === 0,
    `${what}: ${got.length} lines published, ${want.length} expected\n  published twice (${twice.length}):\n    ${show(twice)}\n` +
    `  published but not expected (${extra.length}):\n    ${show(extra)}\n  expected but not published (${missing.length}):\n    ${show(missing)}`);
}

/**
 * Sends the records in one request (one record batch per partition: a batch stays in one log segment, and a segment is
 * compacted only once it is no longer the active one), keys, partitions and record timestamps as given.
 */
async function produceProfiles(topic: string, versions: readonly Version[]): Promise<void> {
  const producer = createProducer(kafka());
  await producer.connect();
  try {
    await producer.send({
      topic, acks: -1,
      messages: versions.map((v) => ({ key: v.key, partition: v.partition, timestamp: String(v.time), value: v.raw ?? (v.value === null ? null : JSON.stringify(v.value)) })),
    });
  } finally {
    await producer.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// A year of listening: 150 users, a few sessions a month each, over the 365 days that ended a month ago (event times
// must not be ahead of the clock). The first 80 % is archived; the rest is the live tail.

const YEAR_START = Math.floor((Date.now() - 400 * DAY) / DAY) * DAY;
const USERS = 150;
const events = [...generateMusicEvents({ seed: 41, users: USERS, start: YEAR_START, durationMs: 365 * DAY, sessionsPerDay: 0.12, meanSongsPerSession: 5 })];
const cut = Math.floor(events.length * 0.8);
const cutTime = events[cut]!.ts;
const lastEventTime = Math.max(...events.map((e) => e.ts));
const sessions = offlineSessions(events, GAP_MS, 'count').map((l) => JSON.parse(l) as Session);
const sessionsOf = new Map<string, Session[]>();
for (const s of [...sessions].sort((a, b) => a.start - b.start)) sessionsOf.set(s.key, [...(sessionsOf.get(s.key) ?? []), s]);

/** Archived versions are older than this; live versions newer than TAIL_FROM (the archive's end lies between). */
const ARCHIVED_BEFORE = cutTime - 3 * HOUR;
const TAIL_FROM = cutTime + HOUR;
const ROLLER_TIME = cutTime + HOUR / 2;

interface ProfilePlan {
  /** Produced before the first archive run, in one batch per partition. */
  first: Version[];
  /** Produced before the second archive run; in the trap's partition the trap tombstone comes first. */
  second: Version[];
  /** The live tail, produced after Kafka compacted the archived part, in time order. */
  tail: Version[];
  trap: { key: string; partition: number; tombstone: Version; session: Session; split: number };
  /** Users with no profile record at all. */
  never: string[];
}

/**
 * The profile versions. Ordinary users get 2-6 versions at random times of the year (some before the first event, some
 * deleted by a tombstone, some produced in reverse time order); every tenth user never gets a profile; some get their
 * first profile only in the live tail. Chosen cases: a version exactly at a session's start, one a millisecond after
 * it, two versions of one key with equal times (version/version, version/tombstone, tombstone/version: the later offset
 * wins), a tombstone exactly at a session's start, and in the live tail a version and a tombstone exactly at a session's
 * start and an equal-time pair.
 *
 * The trap: a tombstone whose record timestamp (its time) is months older than every value version of the archive file
 * it opens. Archive files record the event-time range of their values only (a tombstone has none), so a source that
 * orders the profiles archive by that range alone reads the tombstone after the watermark passed it, and sessions in
 * between get the deleted profile.
 */
function planProfiles(): ProfilePlan {
  const rng = new Prng(43);
  const countries = ['PL', 'DE', 'FR', 'SE', 'US', 'BR', 'JP', 'IN'];
  const tiers = ['free', 'premium', 'family', 'student'];
  let n = 0;
  const draft = (key: string, time: number, kind: 'value' | 'tombstone' = 'value', extra: ProfileValue = {}): Version => ({
    key, partition: partitionOf(key, PROFILE_PARTITIONS), time, seq: -1,
    value: kind === 'tombstone' ? null : { userId: key, country: countries[rng.int(0, countries.length - 1)]!, tier: tiers[rng.int(0, tiers.length - 1)]!, ts: time, version: ++n, ...extra },
  });
  const archived: Version[] = [];
  const tail: Version[] = [];
  const used = new Set<string>();
  const never = Array.from({ length: USERS }, (_, i) => `u${i}`).filter((_, i) => i % 10 === 0);
  for (const u of never) used.add(u);
  /** A user not used yet with a session that starts inside [from, to]. */
  const pick = (from: number, to: number): { user: string; session: Session } => {
    for (let i = 1; i < USERS; i++) {
      const user = `u${i}`;
      if (used.has(user)) continue;
      const session = sessionsOf.get(user)?.find((s) => s.start >= from && s.start <= to);
      if (session) {
        used.add(user);
        return { user, session };
      }
    }
    throw new Error(`no unused user has a session starting in [${new Date(from).toISOString()}, ${new Date(to).toISOString()}]`);
  };

  // The trap: v at s-10d (first run), tombstone at s-1h opening the second run's file, a new version at s+60d.
  const t = pick(YEAR_START + 30 * DAY, ARCHIVED_BEFORE - 90 * DAY);
  const split = t.session.start + 30 * DAY;
  const trapTombstone = draft(t.user, t.session.start - HOUR, 'tombstone');
  archived.push(draft(t.user, t.session.start - 10 * DAY), draft(t.user, t.session.start + 60 * DAY));

  // Archived chosen cases (each user also gets ordinary versions below, which the oracle weighs like any other).
  const inArchive = (): { user: string; session: Session } => pick(YEAR_START + 10 * DAY, ARCHIVED_BEFORE - DAY);
  const chosenUsers: string[] = [];
  {
    const { user, session } = inArchive();
    archived.push(draft(user, session.start, 'value', { case: 'exactly at a session start' }));
    chosenUsers.push(user);
  }
  {
    const { user, session } = inArchive();
    archived.push(draft(user, session.start - 5 * DAY), draft(user, session.start + 1, 'value', { case: 'a millisecond after a session start' }));
    chosenUsers.push(user);
  }
  {
    const { user, session } = inArchive();
    archived.push(draft(user, session.start, 'value', { case: 'equal time, earlier offset' }), draft(user, session.start, 'value', { case: 'equal time, later offset' }));
    chosenUsers.push(user);
  }
  {
    const { user, session } = inArchive();
    archived.push(draft(user, session.start - 10 * 60_000), draft(user, session.start - 10 * 60_000, 'tombstone'));
    chosenUsers.push(user);
  }
  {
    const { user, session } = inArchive();
    archived.push(draft(user, session.start - 10 * 60_000, 'tombstone'), draft(user, session.start - 10 * 60_000, 'value', { case: 'equal time after a tombstone' }));
    chosenUsers.push(user);
  }
  {
    const { user, session } = inArchive();
    archived.push(draft(user, session.start - 5 * DAY), draft(user, session.start, 'tombstone'));
    chosenUsers.push(user);
  }
  // Live chosen cases: one time per key, so compaction of the live part cannot change an answer.
  {
    const { user, session } = pick(TAIL_FROM + HOUR, lastEventTime);
    tail.push(draft(user, session.start, 'value', { case: 'live, exactly at a session start' }));
  }
  {
    const { user, session } = pick(TAIL_FROM + HOUR, lastEventTime);
    tail.push(draft(user, session.start, 'tombstone'));
  }
  {
    const { user, session } = pick(TAIL_FROM + HOUR, lastEventTime);
    tail.push(draft(user, session.start - 60_000, 'value', { case: 'live, equal time, earlier offset' }), draft(user, session.start - 60_000, 'value', { case: 'live, equal time, later offset' }));
  }
  for (const u of chosenUsers) used.delete(u);

  // Ordinary users.
  for (let i = 1; i < USERS; i++) {
    const user = `u${i}`;
    if (i % 10 === 0 || user === t.user) continue;
    const mine: Version[] = [];
    if (i % 13 !== 6) {
      const count = rng.int(2, 6);
      const times = Array.from({ length: count }, () => rng.int(YEAR_START - 60 * DAY, ARCHIVED_BEFORE - 1)).sort((a, b) => a - b);
      times.forEach((time, k) => mine.push(draft(user, time, (i % 7 === 3 && k === 1) || (i % 11 === 5 && k === count - 1) ? 'tombstone' : 'value')));
      // Some users' versions reach Kafka newest first: the time decides, not the offset.
      if (i % 9 === 4) mine.reverse();
    }
    archived.push(...mine);
    if (!used.has(user) && (i % 3 === 1 || i % 13 === 6)) tail.push(draft(user, rng.int(TAIL_FROM, lastEventTime), i % 5 === 2 ? 'tombstone' : 'value'));
  }

  // Per user in turn (a file of a partition spans the whole year), the trap's partition split at `split`.
  const first = archived.filter((v) => v.time < split);
  const second = [trapTombstone, ...archived.filter((v) => v.time >= split)];
  const sortedTail = tail.map((v, i) => ({ v, i })).sort((a, b) => a.v.time - b.v.time || a.i - b.i).map(({ v }) => v);
  return { first, second, tail: sortedTail, trap: { key: t.user, partition: trapTombstone.partition, tombstone: trapTombstone, session: t.session, split }, never };
}

const plan = planProfiles();
/** Two records with their own keys that only roll each partition's active segment, so Kafka compacts what precedes. */
const rollers = (round: number, prefix = 'roller', time = ROLLER_TIME): Version[] => Array.from({ length: PROFILE_PARTITIONS }, (_, p) => ({
  key: `${prefix}-${p}`, partition: p, time, seq: -1, value: { userId: `${prefix}-${p}`, country: 'XX', tier: prefix, ts: time, round },
}));

/**
 * Polls Kafka's log of the profiles topic until every version of `versions` that a later produced record of its key
 * superseded is gone (compacted away), for up to 180 s; `nudge` runs at the start and once a minute after. Returns the
 * versions of `versions` no longer in Kafka.
 */
async function compacted(topic: string, versions: readonly Version[], nudge: (round: number) => Promise<void>): Promise<{ gone: Set<Version>; seconds: number }> {
  const superseded = versions.filter((v) => produced.some((o) => o.key === v.key && o.seq > v.seq));
  let gone = new Set<Version>();
  let rounds = 0;
  const began = Date.now();
  while (Date.now() - began < 180_000) {
    if ((Date.now() - began) / 60_000 >= rounds) await nudge(rounds++);
    const log = await kafkaLog(topic);
    const present = new Set([...log].flatMap(([p, records]) => records.map((r) => `${p}:${r.offset}`)));
    gone = new Set(versions.filter((v) => !present.has(`${v.partition}:${offsetOf.get(v)}`)));
    if (superseded.every((v) => gone.has(v))) break;
    await new Promise((r) => setTimeout(r, 3000));
  }
  const left = superseded.filter((v) => !gone.has(v));
  assert.deepEqual(left.map((v) => `${v.partition}:${offsetOf.get(v)} ${v.key}`), [],
    `Kafka did not compact ${topic} within 180 s: ${left.length} superseded versions still in its log (${gone.size} of ${versions.length} gone)`);
  return { gone, seconds: Math.round((Date.now() - began) / 1000) };
}

/** Every profile record produced, in produce order (`seq` set), and the offset each got in its partition. */
const produced: Version[] = [];
const offsetOf = new Map<Version, bigint>();
function noteProduced(versions: readonly Version[]): void {
  for (const v of versions) {
    v.seq = produced.length;
    const before = produced.filter((o) => o.partition === v.partition).length;
    offsetOf.set(v, BigInt(before));
    produced.push(v);
  }
}

let eventsTopic: string;
let profilesTopic: string;
let archive: string;
let expected: ReturnType<typeof expectedOutput>;
const cleanups: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
});

test('a year archived to HDFS, profiles compacted in Kafka, then a live tail: every session carries the profile version valid at its start, as the oracle over every produced version says', { timeout: 420_000 }, async (t) => {
  eventsTopic = uniqueName('oxbow-it-listens');
  profilesTopic = uniqueName('oxbow-it-profiles');
  archive = webhdfsArchive(`oxbow-it/${eventsTopic}`);
  const outUri = webhdfsArchive(`oxbow-it/${eventsTopic}-out`);
  const chkUri = webhdfsArchive(`oxbow-it/${eventsTopic}-chk`);
  cleanups.push(() => removeArchive(archive), () => removeArchive(outUri), () => removeArchive(chkUri));
  await createTopic(kafka(), brokers(), eventsTopic, EVENT_PARTITIONS, { 'retention.ms': '-1' });
  await createTopic(kafka(), brokers(), profilesTopic, PROFILE_PARTITIONS, {
    'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.01', 'segment.ms': '100', 'min.compaction.lag.ms': '0',
  });
  const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, EVENT_PARTITIONS) });
  const archiveBoth = async (run: string) => {
    const r = await runCli(['archive', '--brokers', brokers(), '--topic', eventsTopic, '--topic', profilesTopic, '--archive', archive,
      '--event-time', 'ts', '--until-caught-up', '--rotate-records', String(ROTATE_RECORDS), '--group', `${eventsTopic}-archiver`]);
    assert.equal(r.code, 0, `archive run ${run}:\n${r.stderr}`);
  };

  // History: the events up to the cut and the profile versions before it, archived in two runs (the second run's
  // first file in the trap's partition starts with the trap's tombstone).
  await produceEvents(eventsTopic, events.slice(0, cut), byUser);
  await produceProfiles(profilesTopic, plan.first);
  noteProduced(plan.first);
  await archiveBoth('1');
  await produceProfiles(profilesTopic, plan.second);
  noteProduced(plan.second);
  await archiveBoth('2');

  // The archive holds every version produced so far, at the offsets the oracle assumes.
  const back = await readBack(archive, profilesTopic, [0, 1]);
  assert.deepEqual([...back.problems, ...back.gaps], []);
  for (let p = 0; p < PROFILE_PARTITIONS; p++) {
    const mine = produced.filter((v) => v.partition === p);
    assert.deepEqual(back.offsets.get(p), mine.map((v) => offsetOf.get(v)), `profiles partition ${p}: archived offsets`);
    assert.deepEqual(back.values.get(p), mine.map((v) => (v.value === null ? null : JSON.stringify(v.value))), `profiles partition ${p}: archived values`);
  }
  // The trap is set: the tombstone opens an archive file whose values are all at least 30 days younger.
  const { fs, root } = openArchiveFs(archive);
  const listing = await loadPartitionIndex(fs, root, profilesTopic, plan.trap.partition, formats);
  const trapOffset = offsetOf.get(plan.trap.tombstone)!;
  const trapFile = listing.entries.find((e) => e.startOffset === trapOffset);
  assert.ok(trapFile, `no archive file starts at the trap's offset ${trapOffset}: ${listing.entries.map((e) => e.name).join(', ')}`);
  assert.ok(trapFile.minEventTime !== null && trapFile.minEventTime >= plan.trap.split && trapFile.eventTimeMissing >= 1,
    `the trap's file ${trapFile.name}: min event time ${trapFile.minEventTime}, ${trapFile.eventTimeMissing} records without one`);

  // Kafka compacts the archived profile versions: roll each partition's active segment (the rollers), then wait until
  // every version a later record of its key superseded is gone from Kafka's log, Kafka then holding the newest version
  // per key only (the log cleaner looks every 15 s). One roll is enough; another follows a minute later, just in case.
  const history = [...produced];
  const produceNoted = async (versions: Version[]) => {
    await produceProfiles(profilesTopic, versions);
    noteProduced(versions);
  };
  const first = await compacted(profilesTopic, history, (round) => produceNoted(rollers(round)));
  // The answers with the live versions too: a live version replaces an archived answer only for later sessions.
  const neededGone = new Set(expectedOutput(sessions, EVENT_PARTITIONS, [...history, ...plan.tail]).chosen.filter((v): v is Version => v !== null && first.gone.has(v)));
  assert.ok(neededGone.size > 0, 'versions sessions need are gone from Kafka');
  t.diagnostic(`history compacted after ${first.seconds} s: ${first.gone.size} of ${history.length} archived profile records gone from Kafka, ${neededGone.size} of them answers of sessions`);

  // The live tail: the rest of the events and further profile changes (after new rollers that supersede those right
  // at the archive's end), then closers that roll the tail's segment. Kafka compacts the tail too before the job runs:
  // the first offset after each partition's archive, and the live equal-time pair's first version, are holes in Kafka.
  await produceEvents(eventsTopic, events.slice(cut), byUser);
  const atArchiveEnd = produced.filter((v) => v.key?.startsWith('roller-') && !history.includes(v) && !produced.some((o) => o.key === v.key && o.seq < v.seq));
  await produceNoted([...rollers(99, 'roller', ROLLER_TIME + 1000), ...plan.tail]);
  const tailAndRollers = produced.filter((v) => !history.includes(v));
  const second = await compacted(profilesTopic, tailAndRollers, (round) => produceNoted(rollers(round, 'closer', lastEventTime + 60_000 + round)));
  assert.equal(atArchiveEnd.length, PROFILE_PARTITIONS);
  for (const v of atArchiveEnd) assert.ok(second.gone.has(v), `offset ${offsetOf.get(v)} of partition ${v.partition}, right after the archive, was compacted away`);
  t.diagnostic(`live tail compacted after ${second.seconds} s: ${second.gone.size} of ${tailAndRollers.length} live records gone from Kafka`);

  expected = expectedOutput(sessions, EVENT_PARTITIONS, produced);
  // The data exercises what it should: sessions without a profile, sessions whose version only the archive still
  // holds, the trap, and live versions chosen by sessions.
  assert.ok(expected.lines.length > 3000, `${expected.lines.length} sessions`);
  assert.ok(expected.withoutProfile > 100 && expected.withoutProfile < expected.lines.length / 2, `${expected.withoutProfile} sessions without a profile`);
  assert.ok(expected.chosen.filter((v) => v !== null && neededGone.has(v)).length > 50, 'sessions whose version Kafka no longer holds');
  assert.ok(expected.chosen.filter((v) => v !== null && plan.tail.includes(v) && v.value !== null).length > 20, 'sessions with a live version');
  const trapIndex = sessions.indexOf(plan.trap.session);
  assert.equal(expected.chosen[trapIndex], plan.trap.tombstone, 'the trap session\'s answer is the trap tombstone');

  t.diagnostic(`${events.length} events (${cut} archived), ${produced.length} profile records (${plan.tail.length} live), ${expected.lines.length} sessions, ` +
    `${expected.withoutProfile} without a profile, ${expected.chosen.filter((v) => v !== null && neededGone.has(v)).length} answered by a version only the archive holds`);

  const jobBegan = Date.now();
  const run = await runCli(['sessions', '--archive', archive, '--brokers', brokers(), '--topic', eventsTopic, '--profiles', profilesTopic,
    '--aggregate', 'count', '--gap', '30m', '--stop-at-live', '--output', outUri, '--checkpoint-dir', chkUri]);
  t.diagnostic(`the sessions job took ${((Date.now() - jobBegan) / 1000).toFixed(1)} s`);
  assert.equal(run.code, 0, run.stderr);
  assertSameLines(await publishedLines(outUri), expected.lines, 'uninterrupted run');
  assert.equal(summaryValue(run.stderr, 'sessions without a profile'), String(expected.withoutProfile));
  assert.equal(summaryValue(run.stderr, 'session results'), String(expected.lines.length));
  assert.equal(summaryValue(run.stderr, 'late events'), '0');
  assert.equal(summaryValue(run.stderr, 'late profile versions'), '0');
  assert.equal(summaryValue(run.stderr, 'bad records'), '0');
  assert.equal(summaryValue(run.stderr, 'offsets skipped in gaps'), '0');
});

test('killed with SIGKILL in the archive phase and again reading Kafka, restored with --from-savepoint latest: the published output is the oracle\'s, each session once', { timeout: 420_000 }, async (t) => {
  assert.ok(expected, 'the previous test built the topics, the archive and the oracle');
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-profiles-kill-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const cpDir = join(dir, 'chk');
  const store = new CheckpointStore(new LocalFs(), cpDir);
  const common = ['sessions', '--archive', archive, '--brokers', brokers(), '--topic', eventsTopic, '--profiles', profilesTopic,
    '--aggregate', 'count', '--gap', '30m', '--output', `file://${join(dir, 'out')}`, '--checkpoint-dir', `file://${cpDir}`,
    '--checkpoint-interval', '0ms', '--prefetch', '1'];
  const positions = (c: Checkpoint) => [...c.positions, ...(c.profiles?.positions ?? [])];
  // The profiles' few files are read early, and their topic may switch to Kafka long before the events do: the first
  // kill is in the events' archive phase, whatever the profiles read.
  const eventsReadKafka = (c: Checkpoint) => c.positions.some((p) => p.source === 'kafka');
  const allKafka = (c: Checkpoint) => positions(c).every((p) => p.source === 'kafka');

  const first = startCli([...common, '--stop-at-live']);
  const killedInArchive = await killAtCheckpoint(first.child, store, (c) => !eventsReadKafka(c) && (c.watermarks.job ?? 0) >= YEAR_START + 150 * DAY);
  const r1 = await first.done;
  assert.ok(killedInArchive && r1.signal === 'SIGKILL', `run 1 ended before it could be killed in the archive phase:\n${r1.stderr}`);
  const atFirstKill = (await store.latest())?.checkpoint;
  assert.ok(atFirstKill?.profiles, 'the checkpoint of a job with --profiles carries the profiles part (format 2)');
  t.diagnostic(`run 1 killed at checkpoint ${atFirstKill.id}: watermark ${new Date(atFirstKill.watermarks.job ?? 0).toISOString()}, ${atFirstKill.profiles.join.versions.length} keys with profile versions kept`);

  // Run 2 follows Kafka (no --stop-at-live), so it is still running when a checkpoint shows every partition of both
  // topics reading Kafka.
  const second = startCli([...common, '--from-savepoint', 'latest']);
  const deadline = setTimeout(() => second.child.kill('SIGKILL'), 240_000);
  const killedInKafka = await killAtCheckpoint(second.child, store, (c) => allKafka(c), 20);
  clearTimeout(deadline);
  const r2 = await second.done;
  assert.ok(killedInKafka && r2.signal === 'SIGKILL', `run 2 was not killed at a checkpoint with every partition reading Kafka (within 240 s):\n${r2.stderr}`);
  assert.match(r2.stderr, /restored/);
  const atSecondKill = (await store.latest())!.checkpoint;
  t.diagnostic(`run 2 killed at checkpoint ${atSecondKill.id}: positions ${[...atSecondKill.positions, ...(atSecondKill.profiles?.positions ?? [])].map((p) => `${p.partition}:${p.source}@${p.nextOffset}`).join(' ')}`);

  const r3 = await runCli([...common, '--from-savepoint', 'latest', '--stop-at-live']);
  assert.equal(r3.code, 0, r3.stderr);
  assert.match(r3.stderr, /restored/);
  assertSameLines(await publishedLines(`file://${join(dir, 'out')}`), expected.lines, 'killed twice and restored');
});

test('bad profile input: a topic in neither archive nor Kafka exits 2 naming it; records without a key, not JSON objects or without a time go to --dead-letter and are counted; checkpoints with and without --profiles do not restore each other', { timeout: 240_000 }, async () => {
  const topic = uniqueName('oxbow-it-small-listens');
  const profiles = uniqueName('oxbow-it-small-profiles');
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-profiles-bad-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const archiveUri = `file://${join(dir, 'archive')}`;
  await createTopic(kafka(), brokers(), topic, 2, { 'retention.ms': '-1' });
  // Not compacted: a compacted topic refuses records without a key.
  await createTopic(kafka(), brokers(), profiles, 1, { 'retention.ms': '-1' });
  const start = Math.floor((Date.now() - 6 * DAY) / DAY) * DAY;
  const small = [...generateMusicEvents({ seed: 7, users: 12, start, durationMs: 2 * DAY, sessionsPerDay: 4 })];
  const smallCut = Math.floor(small.length * 0.7);
  const smallCutTime = small[smallCut]!.ts;
  const place = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, 2) });
  const v = (key: string | null, time: number, value: ProfileValue | null, raw?: string): Version => ({ key, partition: 0, time, value, raw, seq: -1 });
  const history: Version[] = [
    v('u1', start - DAY, { userId: 'u1', country: 'PL', tier: 'free', ts: start - DAY }),
    v('u2', start + 6 * HOUR, { userId: 'u2', country: 'DE', tier: 'premium', ts: start + 6 * HOUR }),
    // No key: a bad record, never u3's profile although its value names u3.
    v(null, start - DAY, { userId: 'u3', country: 'NULLKEY', tier: 'free', ts: start - DAY }),
    v('u3', smallCutTime - 6 * HOUR, { userId: 'u3', country: 'SE', tier: 'family', ts: smallCutTime - 6 * HOUR }),
    v('u4', start - DAY, null, 'not json {'),
    // The record key names the user, not the value.
    v('u7', start - DAY, { userId: 'someone-else', country: 'KEYWINS', tier: 'free', ts: start - DAY }),
    v('u8', start - DAY, { userId: 'u8', country: 'FR', tier: 'student', ts: start - DAY }),
  ];
  const t0 = smallCutTime + HOUR;
  const live: Version[] = [
    v('u5', t0, null, '[1,2,3]'),
    v('u6', t0 + HOUR, null, JSON.stringify({ userId: 'u6', country: 'NOTS', tier: 'free' })),
    v('u1', t0 + 2 * HOUR, { userId: 'u1', country: 'PL', tier: 'premium', ts: t0 + 2 * HOUR }),
    v('u8', t0 + 3 * HOUR, null),
  ];
  const all = [...history, ...live];
  all.forEach((x, i) => (x.seq = i));
  const bad = all.filter((x) => x.key === null || x.raw !== undefined);

  await produceEvents(topic, small.slice(0, smallCut), place);
  await produceProfiles(profiles, history);
  const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--topic', profiles, '--archive', archiveUri,
    '--event-time', 'ts', '--until-caught-up', '--rotate-records', '100', '--group', `${topic}-archiver`]);
  assert.equal(archived.code, 0, archived.stderr);
  await produceEvents(topic, small.slice(smallCut), place);
  await produceProfiles(profiles, live);

  const want = expectedOutput(offlineSessions(small, GAP_MS, 'count').map((l) => JSON.parse(l) as Session), 2, all.filter((x) => !bad.includes(x)));
  assert.ok(want.lines.some((l) => l.includes('"KEYWINS"')) && want.lines.some((l) => l.includes('"key":"u3"') && l.includes('"profile":null')));
  const args = (name: string, ...more: string[]) => ['sessions', '--archive', archiveUri, '--brokers', brokers(), '--topic', topic,
    '--aggregate', 'count', '--gap', '30m', '--stop-at-live', '--output', `file://${join(dir, name)}`, '--checkpoint-dir', `file://${join(dir, `${name}-chk`)}`, ...more];

  const missing = uniqueName('oxbow-it-nosuch-profiles');
  const nosuch = await runCli(args('nosuch', '--profiles', missing));
  assert.equal(nosuch.code, 2, nosuch.stderr);
  assert.match(nosuch.stderr, new RegExp(missing));
  const admin = kafka().admin();
  await admin.connect();
  try {
    assert.ok(!(await admin.listTopics()).includes(missing), 'nothing is created on the broker');
  } finally {
    await admin.disconnect();
  }

  const deadLetter = join(dir, 'dead.jsonl');
  const run = await runCli(args('with', '--profiles', profiles, '--dead-letter', deadLetter));
  assert.equal(run.code, 0, run.stderr);
  assertSameLines(await publishedLines(`file://${join(dir, 'with')}`), want.lines, 'the sessions beside bad profile records');
  assert.equal(summaryValue(run.stderr, 'sessions without a profile'), String(want.withoutProfile));
  assert.equal(summaryValue(run.stderr, 'bad records'), String(bad.length));
  const letters = (await readFile(deadLetter, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { topic: string; partition: number; offset: string | number; reason: string; key: string | null; value: string | null });
  assert.deepEqual(
    letters.map((l) => ({ topic: l.topic, partition: l.partition, offset: String(l.offset), key: l.key, value: l.value })).sort((a, b) => Number(a.offset) - Number(b.offset)),
    bad.map((x) => ({ topic: profiles, partition: 0, offset: String(x.seq), key: x.key, value: x.raw ?? JSON.stringify(x.value) })),
  );
  for (const l of letters) assert.ok(typeof l.reason === 'string' && l.reason.length > 0, `a reason: ${JSON.stringify(l)}`);

  // A checkpoint taken without --profiles does not restore a job with it, nor the reverse; each says what to pass.
  const without = await runCli(args('without'));
  assert.equal(without.code, 0, without.stderr);
  const addProfiles = await runCli([...args('without', '--profiles', profiles), '--from-savepoint', 'latest']);
  assert.equal(addProfiles.code, 2, addProfiles.stderr);
  assert.match(addProfiles.stderr, /--profiles/);
  const dropProfiles = await runCli([...args('with'), '--from-savepoint', 'latest']);
  assert.equal(dropProfiles.code, 2, dropProfiles.stderr);
  assert.match(dropProfiles.stderr, /--profiles/);
});
