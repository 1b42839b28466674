// An in-memory ArchiveSource: per-partition logs with optional holes, kafkajs-like seek/fetch semantics, no broker.

import type { ArchiveSource, PartitionOffsets, SourceHandlers, SourceRecord } from '../../../src/archive/archive-source.js';

export class FakeSource implements ArchiveSource {
  readonly logs = new Map<string, SourceRecord[][]>();
  readonly commits: { topic: string; partition: number; offset: bigint }[] = [];
  private positions = new Map<string, bigint>();
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

  async fetchOffsets(topic: string): Promise<PartitionOffsets[]> {
    return (this.logs.get(topic) ?? []).map((log, partition) => ({
      partition, earliest: log[0]?.offset ?? 0n, latest: log.length ? log[log.length - 1]!.offset + 1n : 0n,
    }));
  }

  async start(topics: string[], h: SourceHandlers): Promise<void> {
    this.running = true;
    const assigned = topics.flatMap((topic) => (this.logs.get(topic) ?? []).map((_, partition) => ({ topic, partition })));
    h.onAssigned(assigned);
    for (const a of assigned) this.positions.set(`${a.topic}/${a.partition}`, 0n);
    this.loop = (async () => {
      while (this.running) {
        let delivered = false;
        for (const a of assigned) {
          if (!this.running) break;
          const k = `${a.topic}/${a.partition}`;
          const pos = this.positions.get(k)!;
          const log = this.logs.get(a.topic)![a.partition]!;
          const records = log.filter((r) => r.offset >= pos).slice(0, this.batchSize);
          if (records.length === 0) continue;
          delivered = true;
          const next = records[records.length - 1]!.offset + 1n;
          this.positions.set(k, next);
          await h.onBatch({ topic: a.topic, partition: a.partition, fetchedOffset: pos, nextOffset: next, highWatermark: next, records });
        }
        if (!delivered) await new Promise<void>((resolve) => { this.wake = resolve; setTimeout(resolve, 5); });
      }
    })();
  }

  seek(topic: string, partition: number, offset: bigint): void {
    this.positions.set(`${topic}/${partition}`, offset);
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
