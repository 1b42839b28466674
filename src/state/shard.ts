// A shard of engine state: one source partition's open sessions by key (a chain per key, ordered by start).

import type { Session } from '../engine/session.js';
import { KeyIndex } from './key-index.js';

export class Shard {
  readonly partition: number;
  /** Key → first session of its chain; a key without open sessions has no entry. */
  readonly keys = new KeyIndex<Session>();
  sessionCount = 0;

  constructor(partition: number) {
    this.partition = partition;
  }

  /** Every open session, by key then start. */
  *sessions(): IterableIterator<Session> {
    for (const head of this.keys.values()) {
      for (let s: Session | null = head; s !== null; s = s.next) yield s;
    }
  }
}

/** Partition number → shard; partitions appear as their first event arrives. */
export class ShardedState {
  private readonly shards = new Map<number, Shard>();

  get(partition: number): Shard {
    let shard = this.shards.get(partition);
    if (shard === undefined) {
      shard = new Shard(partition);
      this.shards.set(partition, shard);
    }
    return shard;
  }

  find(partition: number): Shard | undefined {
    return this.shards.get(partition);
  }

  partitions(): number[] {
    return [...this.shards.keys()].sort((a, b) => a - b);
  }

  /** Removes the partition's shard (after it was handed to another worker) and returns it. */
  remove(partition: number): Shard | undefined {
    const shard = this.shards.get(partition);
    this.shards.delete(partition);
    return shard;
  }
}
