// Seedable generator of realistic music events (listening sessions, playlist runs, searches, bounded disorder), and of
// the same users' slowly changing profiles, for `oxbow produce`, tests, fixtures and benchmarks.

import { MinHeap } from './min-heap.js';
import { Prng } from './prng.js';

/** The "Music events" schema of DESIGN.md: songs (optionally from a playlist) and searches, `ts` in epoch ms. */
export type MusicEvent =
  | { userId: string; ts: number; type: 'song'; songId: string; playlistId?: string }
  | { userId: string; ts: number; type: 'search' };

export interface MusicGenOptions {
  /** Same seed, same options → the same events in the same order. Default 1. */
  seed?: number;
  /** Number of users (`u0` … `u<n-1>`). Default 100. */
  users?: number;
  /** First possible event time, epoch ms. Default 2026-11-01T00:00:00Z. */
  start?: number;
  /** Length of the generated period in ms (events have start <= ts < start + duration). Default 1 day. */
  durationMs?: number;
  /** Mean listening sessions per user per day. Default 3. */
  sessionsPerDay?: number;
  /** Mean songs per session (geometric). Default 12. */
  meanSongsPerSession?: number;
  /** Time between consecutive events of one session, uniform in [min, max] ms. Default 150 000–300 000 (a song). */
  minSongGapMs?: number;
  maxSongGapMs?: number;
  /** Shortest idle time between two sessions of a user, ms; keep it above the session gap you test with. Default 2 h. */
  minIdleMs?: number;
  /** Chance that a search precedes a song. Default 0.1. */
  searchProbability?: number;
  /** Chance that a session switches playlist before a song (ends a playlist run). Default 0.08. */
  playlistSwitchProbability?: number;
  /** Chance that a session plays songs outside any playlist. Default 0.15. */
  noPlaylistProbability?: number;
  /** Playlists and songs per playlist. Defaults 20 and 40. */
  playlists?: number;
  songsPerPlaylist?: number;
  /**
   * Out-of-orderness bound, ms: each event is delayed by a random amount in [0, bound], and events come out in
   * arrival order, so no event is more than `bound` older than the newest event before it. Default 5000; 0 = in order.
   */
  maxDisorderMs?: number;
  /** Stop after this many events. Default: no limit. */
  limit?: number;
}

export const DEFAULT_START = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;

interface UserState {
  index: number;
  userId: string;
  nextTs: number;
  songsLeft: number;
  playlist: number;
  track: number;
  pendingSong: boolean;
}

interface Pending {
  arrival: number;
  seq: number;
  event: MusicEvent;
}

const playlistNames = ['discover-weekly', 'daily-mix-1', 'daily-mix-2', 'release-radar', 'chill', 'focus', 'workout', 'throwback', 'jazz-classics', 'indie-mix'];

export function playlistName(i: number): string {
  const base = playlistNames[i % playlistNames.length]!;
  return i < playlistNames.length ? base : `${base}-${Math.floor(i / playlistNames.length)}`;
}

/** Which partition a user's events go to (FNV-1a of the user id): every event of one user lands in one partition. */
export function partitionOf(userId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** The options both generators share: one options object gives the events and the profiles of the same users. */
type CommonGenOptions = Pick<MusicGenOptions, 'seed' | 'users' | 'start' | 'durationMs'>;

function resolveCommon(options: CommonGenOptions): Required<CommonGenOptions> {
  return { seed: options.seed ?? 1, users: options.users ?? 100, start: options.start ?? DEFAULT_START, durationMs: options.durationMs ?? DAY };
}

function resolve(options: MusicGenOptions): Required<Omit<MusicGenOptions, 'limit'>> & { limit: number } {
  const o = {
    ...resolveCommon(options),
    sessionsPerDay: options.sessionsPerDay ?? 3,
    meanSongsPerSession: options.meanSongsPerSession ?? 12,
    minSongGapMs: options.minSongGapMs ?? 150_000,
    maxSongGapMs: options.maxSongGapMs ?? 300_000,
    minIdleMs: options.minIdleMs ?? 2 * 3_600_000,
    searchProbability: options.searchProbability ?? 0.1,
    playlistSwitchProbability: options.playlistSwitchProbability ?? 0.08,
    noPlaylistProbability: options.noPlaylistProbability ?? 0.15,
    playlists: options.playlists ?? 20,
    songsPerPlaylist: options.songsPerPlaylist ?? 40,
    maxDisorderMs: options.maxDisorderMs ?? 5000,
    limit: options.limit ?? Number.POSITIVE_INFINITY,
  };
  const positive: (keyof typeof o)[] = ['users', 'durationMs', 'sessionsPerDay', 'meanSongsPerSession', 'playlists', 'songsPerPlaylist'];
  for (const key of positive) {
    if (!(o[key] > 0)) throw new RangeError(`music generator: ${key} must be > 0, got ${o[key]}`);
  }
  if (!(o.minSongGapMs >= 0 && o.maxSongGapMs >= o.minSongGapMs)) {
    throw new RangeError('music generator: need 0 <= minSongGapMs <= maxSongGapMs');
  }
  if (!(o.maxDisorderMs >= 0)) throw new RangeError('music generator: maxDisorderMs must be >= 0');
  return o;
}

/**
 * The events, in arrival order (event time plus a bounded random delay). A streaming simulation: memory holds one
 * state per user plus the events still inside the disorder window, so a year of events costs no more than a day.
 */
export function* generateMusicEvents(options: MusicGenOptions = {}): Generator<MusicEvent> {
  const o = resolve(options);
  const rng = new Prng(o.seed);
  const end = o.start + o.durationMs;
  const meanIdle = Math.max(DAY / o.sessionsPerDay - o.minIdleMs, 0);
  const users = new MinHeap<UserState>((a, b) => a.nextTs < b.nextTs || (a.nextTs === b.nextTs && a.index < b.index));
  for (let i = 0; i < o.users; i++) {
    users.push({
      index: i,
      userId: `u${i}`,
      // Users start at spread-out moments of the first day so the start is not one burst.
      nextTs: o.start + Math.floor(rng.next() * Math.min(DAY / o.sessionsPerDay, o.durationMs)),
      songsLeft: 0,
      playlist: 0,
      track: 0,
      pendingSong: false,
    });
  }
  const pending = new MinHeap<Pending>((a, b) => a.arrival < b.arrival || (a.arrival === b.arrival && a.seq < b.seq));
  let seq = 0;
  let emitted = 0;

  const startSession = (u: UserState): void => {
    // Geometric number of songs with the given mean, at least one.
    u.songsLeft = 1 + Math.floor(rng.exponential(o.meanSongsPerSession - 1 + 1e-9));
    u.playlist = rng.chance(o.noPlaylistProbability) ? -1 : rng.int(0, o.playlists - 1);
    u.track = rng.int(0, o.songsPerPlaylist - 1);
  };

  const nextEvent = (u: UserState): MusicEvent => {
    if (u.songsLeft === 0) startSession(u);
    if (!u.pendingSong && rng.chance(o.searchProbability)) {
      u.pendingSong = true;
      return { userId: u.userId, ts: u.nextTs, type: 'search' };
    }
    u.pendingSong = false;
    if (u.playlist >= 0 && rng.chance(o.playlistSwitchProbability)) {
      u.playlist = rng.int(0, o.playlists - 1);
      u.track = rng.int(0, o.songsPerPlaylist - 1);
    }
    u.songsLeft--;
    if (u.playlist < 0) {
      return { userId: u.userId, ts: u.nextTs, type: 'song', songId: `s${rng.int(0, o.playlists * o.songsPerPlaylist - 1)}` };
    }
    // Playlist songs come from one global catalogue; a playlist plays its songs in order, wrapping around.
    const songId = `s${(u.playlist * 7919 + u.track) % (o.playlists * o.songsPerPlaylist)}`;
    u.track = (u.track + 1) % o.songsPerPlaylist;
    return { userId: u.userId, ts: u.nextTs, type: 'song', songId, playlistId: playlistName(u.playlist) };
  };

  while (users.size > 0 && emitted < o.limit) {
    const u = users.pop()!;
    if (u.nextTs >= end) continue;
    const event = nextEvent(u);
    // Everything still pending whose arrival is before this event's time can no longer be overtaken.
    while (pending.size > 0 && pending.peek()!.arrival <= event.ts && emitted < o.limit) {
      yield pending.pop()!.event;
      emitted++;
    }
    const delay = o.maxDisorderMs === 0 ? 0 : rng.int(0, o.maxDisorderMs);
    pending.push({ arrival: event.ts + delay, seq: seq++, event });
    if (u.pendingSong) u.nextTs += rng.int(5_000, 60_000);
    else if (u.songsLeft > 0) u.nextTs += rng.int(o.minSongGapMs, o.maxSongGapMs);
    else u.nextTs += o.minIdleMs + Math.floor(rng.exponential(meanIdle));
    users.push(u);
  }
  while (pending.size > 0 && emitted < o.limit) {
    yield pending.pop()!.event;
    emitted++;
  }
}

/** The same events in arrays of up to `batchSize`, for producers and writers that work in batches. */
export async function* musicEventBatches(options: MusicGenOptions = {}, batchSize = 1000): AsyncGenerator<MusicEvent[]> {
  let batch: MusicEvent[] = [];
  for (const event of generateMusicEvents(options)) {
    batch.push(event);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** A user's profile, the value of a profiles topic (compacted, keyed by userId); `ts` in epoch ms. */
export interface Profile {
  userId: string;
  country: string;
  tier: ProfileTier;
  ts: number;
}

export type ProfileTier = 'free' | 'student' | 'premium' | 'family';

/**
 * One record of the profiles topic: key `userId` (UTF-8 text, as in the events), Kafka timestamp `ts`, value `value`.
 * A null value is a tombstone: the profile was deleted at `ts`, which a tombstone carries only as its Kafka timestamp.
 */
export interface ProfileVersion {
  userId: string;
  ts: number;
  value: Profile | null;
}

export interface ProfileGenOptions extends CommonGenOptions {
  /** Initial versions fall in [start - leadMs, start), so sessions from the start find one. Default 1 day. */
  leadMs?: number;
  /** Chance that a user has no initial version (signs up later, or never). Default 0.1. */
  noProfileProbability?: number;
  /** Changes per user over the period, uniform in [0, maxChanges], at uniform times. Default 4. */
  maxChanges?: number;
  /** Chance that a change deletes the profile (a tombstone). Default 0.1. */
  tombstoneProbability?: number;
  /** Chance that a change of a user without a profile creates one (a re-creation after a tombstone, a late sign-up). Default 0.5. */
  createProbability?: number;
}

const countries = ['PL', 'DE', 'US', 'GB', 'FR', 'SE', 'BR', 'JP', 'IN', 'ES'];
const tiers: readonly ProfileTier[] = ['free', 'student', 'premium', 'family'];

/**
 * The profile versions of the users `u0` … `u<n-1>` of generateMusicEvents with the same options, in time order (the
 * order a producer writes them; equal times in user order): a profile changes a few times over the period, not per
 * event, which is what an event-time temporal join of sessions with profiles needs to be tested on. Memory holds every
 * version (at most 1 + maxChanges per user) to sort them once.
 */
export function* generateProfileVersions(options: ProfileGenOptions = {}): Generator<ProfileVersion> {
  const o = {
    ...resolveCommon(options),
    leadMs: options.leadMs ?? DAY,
    noProfileProbability: options.noProfileProbability ?? 0.1,
    maxChanges: options.maxChanges ?? 4,
    tombstoneProbability: options.tombstoneProbability ?? 0.1,
    createProbability: options.createProbability ?? 0.5,
  };
  if (!(o.users > 0 && o.durationMs > 0)) throw new RangeError('profile generator: users and durationMs must be > 0');
  if (!(o.leadMs >= 0 && Number.isInteger(o.maxChanges) && o.maxChanges >= 0)) {
    throw new RangeError('profile generator: need leadMs >= 0 and a whole maxChanges >= 0');
  }
  const rng = new Prng(o.seed);
  const created = (userId: string, ts: number): Profile => ({ userId, country: rng.pick(countries), tier: rng.pick(tiers), ts });
  const other = <T>(items: readonly T[], not: T): T => rng.pick(items.filter((x) => x !== not));
  const versions: ProfileVersion[] = [];
  for (let i = 0; i < o.users; i++) {
    const userId = `u${i}`;
    let current: Profile | null = null;
    if (!rng.chance(o.noProfileProbability)) {
      current = created(userId, o.start - o.leadMs + Math.floor(rng.next() * o.leadMs));
      versions.push({ userId, ts: current.ts, value: current });
    }
    const times = Array.from({ length: rng.int(0, o.maxChanges) }, () => o.start + Math.floor(rng.next() * o.durationMs)).sort((a, b) => a - b);
    for (const ts of times) {
      let next: Profile | null;
      if (current === null) {
        if (!rng.chance(o.createProbability)) continue;
        next = created(userId, ts);
      } else if (rng.chance(o.tombstoneProbability)) {
        next = null;
      } else if (rng.chance(0.7)) {
        // Plans change more often than countries; either way the new version differs from the one it replaces.
        next = { ...current, tier: other(tiers, current.tier), ts };
      } else {
        next = { ...current, country: other(countries, current.country), ts };
      }
      current = next;
      versions.push({ userId, ts, value: next });
    }
  }
  // Array.prototype.sort is stable: versions of equal time stay in user order, a user's own in the order made.
  versions.sort((a, b) => a.ts - b.ts);
  yield* versions;
}
