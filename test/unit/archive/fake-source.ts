// An in-memory ArchiveSource with kafkajs's semantics where they matter: partitions wait, paused, for their first seek
// after an assignment; a seek takes effect on the next fetch; a fetch below the log start resets to it; records may have
// holes; and (on request) a batch from the old position still arrives after a seek, as a fetch in flight would.

import type { ArchiveSource, FetchedRecord, PartitionOffsets, SourceHandlers } from '../../../src/archive/archive-source.js';

interface Position {
  /** Where the next fetch starts; null while the partition waits for its first seek. */
  offset: bigint | null;
  /** A seek not yet in effect. */
  pending: bigint | null;
}

export class FakeSource implements ArchiveSource {
  readonly logs = new Map<string, FetchedRecord[][]>();
  readonly commits: { topic: string; partition: number; offset: bigint }[] = [];
  /** Offsets below these were deleted by "retention", per `topic/partition`. */
  readonly logStart = new Map<string, bigint>();
  /** Every seek the archiver asked for, in order. */
  readonly seeks: { topic: string; partition: number; offset: bigint }[] = [];
  /** When set, the next fetch after a seek still comes from the old position (a fetch in flight), once per seek. */
  staleAfterSeek = false;
  private positions = new Map<string, Position>();
  private stale = new Set<string>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  constructor(readonly batchSize = 100) {}

  /** Appends records with the given offsets (holes allowed) to a partition. */
  produce(topic: string, partition: number, offsets: bigint[]): void {
    const parts = this.logs.get(topic) ?? [];
    this.logs.set(topic, parts);
    while (parts.length <= partition) parts.push([]);
    const enc = new TextEncoder();
    for (const offset of offsets) {
      const ts = 1_732_406_400_000 + Number(offset);
      parts[partition]!.push({ offset, timestamp: ts, key: enc.encode(`k${offset % 10n}`), value: enc.encode(JSON.stringify({ ts })), headers: [] });
    }
    this.wake?.();
  }

  /** Retention: offsets below `offset` are gone. */
  deleteBefore(topic: string, partition: number, offset: bigint): void {
    this.logStart.set(`${topic}/${partition}`, offset);
  }

  private earliest(topic: string, partition: number): bigint {
    const log = this.logs.get(topic)?.[partition] ?? [];
    const deleted = this.logStart.get(`${topic}/${partition}`) ?? 0n;
    const first = log[0]?.offset ?? 0n;
    return deleted > first ? deleted : first;
  }

  async fetchOffsets(topic: string): Promise<PartitionOffsets[]> {
    return (this.logs.get(topic) ?? []).map((log, partition) => {
      const latest = log.length ? log[log.length - 1]!.offset + 1n : 0n;
      const earliest = this.earliest(topic, partition);
      return { partition, earliest: earliest < latest ? earliest : latest, latest };
    });
  }

  async start(topics: string[], h: SourceHandlers): Promise<void> {
    this.running = true;
    const assigned = topics.flatMap((topic) => (this.logs.get(topic) ?? []).map((_, partition) => ({ topic, partition })));
    for (const a of assigned) this.positions.set(`${a.topic}/${a.partition}`, { offset: null, pending: null });
    h.onAssigned(assigned);
    this.loop = (async () => {
      while (this.running) {
        let delivered = false;
        for (const a of assigned) {
          if (!this.running) break;
          const k = `${a.topic}/${a.partition}`;
          const pos = this.positions.get(k)!;
          if (pos.pending !== null && !this.stale.delete(k)) {
            pos.offset = pos.pending;
            pos.pending = null;
          }
          if (pos.offset === null) continue;
          // Out of range below the log start: reset to the earliest offset (fromBeginning), as kafkajs does.
          const earliest = this.earliest(a.topic, a.partition);
          if (pos.offset < earliest) pos.offset = earliest;
          const from = pos.offset;
          const log = this.logs.get(a.topic)![a.partition]!;
          const records = log.filter((r) => r.offset >= from).slice(0, this.batchSize);
          if (records.length === 0) continue;
          delivered = true;
          const next = records[records.length - 1]!.offset + 1n;
          pos.offset = next;
          await h.onBatch({ topic: a.topic, partition: a.partition, fetchedOffset: from, firstOffset: records[0]!.offset, nextOffset: next, highWatermark: next, records: records.map((r) => ({ ...r })) });
        }
        if (!delivered) await new Promise<void>((resolve) => { this.wake = resolve; setTimeout(resolve, 5); });
      }
    })();
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const k = `${topic}/${partition}`;
    this.seeks.push({ topic, partition, offset });
    const pos = this.positions.get(k);
    if (!pos) return;
    // A partition never positioned before starts at once; a running one may still deliver one batch from where it was.
    if (pos.offset !== null && this.staleAfterSeek) this.stale.add(k);
    pos.pending = offset;
  }

  async commit(topic: string, partition: number, offset: bigint): Promise<void> {
    this.commits.push({ topic, partition, offset });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  async close(): Promise<void> {}
}
