// Key → value for a shard's session keys: open addressing with each key next to its value, so a lookup touches one cache line.

/**
 * A JS Map lookup of a string key visits a bucket, then one or more entries in another region,
 * and was the largest single cost of an event with 100k users. Here keys and values sit side by
 * side in one array (`[k0, v0, k1, v1, ...]`), probed linearly from an FNV-1a hash of the key;
 * the load stays at most 1/2 and deletion shifts entries back (no tombstones).
 */
export class KeyIndex<V> {
  private slots: unknown[];
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.slots = new Array<unknown>(2 * c).fill(undefined);
    this.mask = c - 1;
  }

  get size(): number {
    return this.count;
  }

  static hash(key: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return h >>> 0;
  }

  get(key: string): V | undefined {
    const slots = this.slots;
    const mask = this.mask;
    let i = KeyIndex.hash(key) & mask;
    for (;;) {
      const k = slots[2 * i];
      if (k === undefined) return undefined;
      if (k === key) return slots[2 * i + 1] as V;
      i = (i + 1) & mask;
    }
  }

  set(key: string, value: V): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = KeyIndex.hash(key) & mask;
    for (;;) {
      const k = slots[2 * i];
      if (k === undefined) break;
      if (k === key) {
        slots[2 * i + 1] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    slots[2 * i] = key;
    slots[2 * i + 1] = value;
    this.count++;
    if (2 * this.count > mask + 1) this.grow();
  }

  delete(key: string): boolean {
    const slots = this.slots;
    const mask = this.mask;
    let i = KeyIndex.hash(key) & mask;
    for (;;) {
      const k = slots[2 * i];
      if (k === undefined) return false;
      if (k === key) break;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole when their home allows it.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = slots[2 * j];
      if (k === undefined) break;
      const home = KeyIndex.hash(k as string) & mask;
      const movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        slots[2 * i] = k;
        slots[2 * i + 1] = slots[2 * j + 1];
        i = j;
      }
    }
    slots[2 * i] = undefined;
    slots[2 * i + 1] = undefined;
    this.count--;
    return true;
  }

  *values(): IterableIterator<V> {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] !== undefined) yield slots[i + 1] as V;
  }

  *entries(): IterableIterator<[string, V]> {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] !== undefined) yield [slots[i] as string, slots[i + 1] as V];
  }

  private grow(): void {
    const old = this.slots;
    const capacity = 2 * (this.mask + 1);
    this.slots = new Array<unknown>(2 * capacity).fill(undefined);
    this.mask = capacity - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== undefined) this.set(old[i] as string, old[i + 1] as V);
  }
}
