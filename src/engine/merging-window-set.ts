// The sessions of one key as a start-ordered chain of disjoint, non-touching windows: find what a new window merges with.

import type { Session } from './session.js';

/**
 * The run of sessions a new window [start, end) intersects (overlap or touch), as first and last
 * of the run plus the session before it (for insertion). Sessions in a chain never intersect each
 * other, so the run is contiguous.
 */
export interface MergeCandidates {
  before: Session | null;
  first: Session | null;
  last: Session | null;
  count: number;
}

export function findIntersecting(head: Session | undefined, start: number, end: number, out: MergeCandidates): MergeCandidates {
  out.before = null;
  out.first = null;
  out.last = null;
  out.count = 0;
  let s = head ?? null;
  while (s !== null && s.end < start) {
    out.before = s;
    s = s.next;
  }
  while (s !== null && s.start <= end) {
    if (out.first === null) out.first = s;
    out.last = s;
    out.count++;
    s = s.next;
  }
  return out;
}
