// Event-time timers of all sessions: a 4-ary min-heap holding at most one live entry per session (its earliest timer).

import type { Session, SessionTable } from './session.js';

/**
 * Extending a session only moves its timers later, so the common path pushes nothing: the entry
 * already in the heap comes due early, the operator sees the session's true next timer and pushes
 * it again. An entry is live while `session.heapTime` equals its time; others are skipped on pop.
 * Ties are broken by session id so that a restored engine fires in the same order as the original.
 */
export class TimerHeap {
  private times: number[] = [];
  private sessions: Session[] = [];

  get size(): number {
    return this.times.length;
  }

  peekTime(): number {
    return this.times.length === 0 ? Infinity : this.times[0]!;
  }

  /** Make sure the earliest timer of the session at `at` in `table` is in the heap. */
  schedule(table: SessionTable, at: number): void {
    const t = table.nextTimer(at);
    if (t < table.heapTime(at)) {
      table.setHeapTime(at, t);
      this.push(t, table.owner(at));
    }
  }

  push(time: number, s: Session): void {
    const times = this.times;
    const sessions = this.sessions;
    let i = times.length;
    times.push(time);
    sessions.push(s);
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = times[p]!;
      const ps = sessions[p]!;
      if (pt < time || (pt === time && ps.id <= s.id)) break;
      times[i] = pt;
      sessions[i] = ps;
      i = p;
    }
    times[i] = time;
    sessions[i] = s;
  }

  /** Removes and returns the session of the earliest entry (live or stale). */
  pop(): Session {
    const times = this.times;
    const sessions = this.sessions;
    const top = sessions[0]!;
    const lastT = times.pop()!;
    const lastS = sessions.pop()!;
    const n = times.length;
    if (n > 0) {
      // A 4-ary heap: half the levels of a binary one, and the four children share a cache line of `times`.
      let i = 0;
      for (;;) {
        const first = 4 * i + 1;
        if (first >= n) break;
        let c = first;
        let ct = times[first]!;
        const stop = first + 4 < n ? first + 4 : n;
        for (let k = first + 1; k < stop; k++) {
          const kt = times[k]!;
          if (kt < ct || (kt === ct && sessions[k]!.id < sessions[c]!.id)) {
            c = k;
            ct = kt;
          }
        }
        if (ct > lastT || (ct === lastT && sessions[c]!.id > lastS.id)) break;
        times[i] = ct;
        sessions[i] = sessions[c]!;
        i = c;
      }
      times[i] = lastT;
      sessions[i] = lastS;
    }
    return top;
  }

  /** Drops stale entries when they outnumber live ones (e.g. many merges under a watermark that rarely moves). */
  compactIfNeeded(liveSessions: number): void {
    if (this.times.length <= 2 * liveSessions + 1024) return;
    const live: Session[] = [];
    for (let i = 0; i < this.sessions.length; i++) {
      const s = this.sessions[i]!;
      if (!s.dead && s.heapTime === this.times[i]) live.push(s);
    }
    this.times = [];
    this.sessions = [];
    for (const s of live) this.push(s.heapTime, s);
  }

  clear(): void {
    this.times = [];
    this.sessions = [];
  }
}
