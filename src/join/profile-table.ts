// The profile versions a temporal join can still need: per key, versions ordered by time (equal times in arrival order),
// looked up "as of" a time, and pruned to the newest version at or before a cutoff so memory follows users, not history
// (one entry per user, a deleted one included).

/** A profile version's value (the fields kept), or null for a tombstone (the profile is deleted from its time on). */
export type ProfileValue = Record<string, unknown> | null;

interface Version {
  t: number;
  v: ProfileValue;
}

/** The table's persisted form (checkpoint format 2, docs/sessions.md): `[key, [[time, value|null], ...]]` per key. */
export type ProfileTableSnapshot = [string, [number, ProfileValue][]][];

export class ProfileTable {
  private readonly byKey = new Map<string, Version[]>();
  /** Versions held, all keys. */
  versions = 0;

  get keys(): number {
    return this.byKey.size;
  }

  /** Adds a version; one with the same time as another of its key comes after it (the later offset wins). */
  add(key: string, time: number, value: ProfileValue): void {
    let list = this.byKey.get(key);
    if (list === undefined) {
      list = [];
      this.byKey.set(key, list);
    }
    // Versions mostly arrive in time order: look from the end.
    let i = list.length;
    while (i > 0 && list[i - 1]!.t > time) i--;
    if (i === list.length) list.push({ t: time, v: value });
    else list.splice(i, 0, { t: time, v: value });
    this.versions++;
  }

  /** The version valid at `time`: the newest with time <= `time`; null when none or a tombstone. */
  at(key: string, time: number): ProfileValue {
    const list = this.byKey.get(key);
    if (list === undefined) return null;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.t <= time) return list[i]!.v;
    return null;
  }

  /**
   * Drops what no lookup at or after `cutoff` can return: the versions before the newest one at or before it. That one
   * stays even when it is a tombstone: a late version older than the deletion must not bring the profile back.
   */
  prune(key: string, cutoff: number): void {
    const list = this.byKey.get(key);
    if (list === undefined) return;
    let drop = 0;
    while (drop + 1 < list.length && list[drop + 1]!.t <= cutoff) drop++;
    if (drop === 0) return;
    list.splice(0, drop);
    this.versions -= drop;
  }

  /** Prunes every key that holds more than one version, with its own cutoff. */
  sweep(cutoffOf: (key: string) => number): void {
    for (const [key, list] of this.byKey) if (list.length > 1) this.prune(key, cutoffOf(key));
  }

  snapshot(): ProfileTableSnapshot {
    return [...this.byKey].map(([key, list]) => [key, list.map((x): [number, ProfileValue] => [x.t, x.v])]);
  }

  static restore(snapshot: ProfileTableSnapshot): ProfileTable {
    const table = new ProfileTable();
    for (const [key, list] of snapshot) for (const [t, v] of list) table.add(key, t, v);
    return table;
  }
}
