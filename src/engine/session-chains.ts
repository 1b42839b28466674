// The open sessions of every key: key → chain of disjoint, non-touching windows ordered by start. This module owns the
// chain surgery (find what a window merges with, link a new session, unlink a merged run, remove one); the operator
// decides what merging means for accumulators and triggers.

import { KeyIndex } from '../state/key-index.js';
import type { Session, SessionTable } from './session.js';
import { endsBefore } from './time-window.js';

/**
 * The run of sessions a window [start, end) intersects, as first and last of the run plus the session before it (where
 * a new session is linked). Sessions of a chain never intersect each other, so the run is contiguous.
 */
export interface MergeCandidates {
  before: Session | null;
  first: Session | null;
  last: Session | null;
  count: number;
}

export class SessionChains {
  /**
   * Key → offset in the table of the first session of its chain (a key without open sessions has no entry); open
   * addressing, one cache line. The engine reads it directly (`heads.get(key)`): a call through a wrapper cost it about
   * 5% of its events/s. An offset rather than the Session: the engine's path for an event reads the table alone.
   */
  readonly heads = new KeyIndex<number>();
  private readonly table: SessionTable;
  private readonly found: MergeCandidates = { before: null, first: null, last: null, count: 0 };
  /** Open sessions, all keys. */
  size = 0;

  constructor(table: SessionTable) {
    this.table = table;
  }

  /** The first session of the key's chain; undefined when it has none. */
  head(key: string): Session | undefined {
    const at = this.heads.get(key);
    return at === undefined ? undefined : this.table.owner(at);
  }

  /** What [start, end) merges with in the chain starting at `head`; the result object is reused by the next call. */
  find(head: Session | undefined, start: number, end: number): MergeCandidates {
    const out = this.found;
    out.before = null;
    out.first = null;
    out.last = null;
    out.count = 0;
    let s = head ?? null;
    // The chain is ordered by start and its windows never intersect: first those wholly before [start, end), then the run.
    while (s !== null && endsBefore(s.end, start)) {
      out.before = s;
      s = s.next;
    }
    while (s !== null && !endsBefore(end, s.start)) {
      if (out.first === null) out.first = s;
      out.last = s;
      out.count++;
      s = s.next;
    }
    return out;
  }

  /** Links a new session after `before` (null: first of its key's chain). */
  insert(s: Session, before: Session | null): void {
    if (before === null) {
      const head = this.head(s.key);
      if (head !== undefined) s.next = head;
      this.heads.set(s.key, s.at);
    } else {
      s.next = before.next;
      before.next = s;
    }
    this.size++;
  }

  /** Unlinks the `count - 1` sessions that follow `r` (a merged run) and hands each to `absorb` before it is killed. */
  unlinkRun(r: Session, count: number, absorb: (victim: Session) => void): void {
    let o = r.next;
    for (let i = 1; i < count; i++) {
      const victim = o!;
      o = victim.next;
      absorb(victim);
      victim.kill();
      this.size--;
    }
    r.next = o;
  }

  /** Unlinks one session (its cleanup) and kills it. */
  remove(s: Session): void {
    const head = this.head(s.key);
    if (head === s) {
      if (s.next === null) this.heads.delete(s.key);
      else this.heads.set(s.key, s.next.at);
    } else {
      let p = head ?? null;
      while (p !== null && p.next !== s) p = p.next;
      if (p !== null) p.next = s.next;
    }
    s.kill();
    this.size--;
  }

  /** Installs a key's chain from sessions sorted by start (a restore). */
  restore(key: string, sessions: readonly Session[]): void {
    for (let i = 1; i < sessions.length; i++) sessions[i - 1]!.next = sessions[i]!;
    this.heads.set(key, sessions[0]!.at);
    this.size += sessions.length;
  }

  /** Every open session, key by key, each key's in start order. */
  *all(): IterableIterator<Session> {
    for (const at of this.heads.values()) for (let s: Session | null = this.table.owner(at); s !== null; s = s.next) yield s;
  }
}
