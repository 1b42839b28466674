// A conformance case through the sessions job path: each step as the job's source hands it on (a record decoded by the
// product's decoder, or a watermark), the SessionsJob driving the engine, results through the engine → output adapter,
// and every snapshot_restore as a stop with savepoint into a checkpoint store and a restore of a new job from it.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { SessionEngine } from '../../src/engine/session-engine.js';
import { sessionWindows } from '../../src/engine/window-spec.js';
import { parseEventTimeDefinition } from '../../src/event-time.js';
import { engineToOutput } from '../../src/job/assemble.js';
import { createDecoder, type DecodedEvent } from '../../src/job/decode.js';
import { SessionsJob } from '../../src/job/sessions-job.js';
import type { JobSource } from '../../src/job/types.js';
import type { SourceStats, SourceStep } from '../../src/source/hybrid-source.js';
import { MemorySink } from '../helpers/memory-sink.js';
import { mapAggregate, mapTrigger, sortEmits, type Case, type Emit } from './cases.js';

const decode = createDecoder({ keyField: 'key', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: Number.POSITIVE_INFINITY });
const encoder = new TextEncoder();

/** The case's steps from `from` on, as a source: the offset of a step is its index, so a restore resumes after it. */
class StepsSource implements JobSource {
  readonly stats: SourceStats = { filesTotal: 0, filesDone: 0, recordsArchive: 0, recordsKafka: 0, duplicatesSkipped: 0, gapOffsetsSkipped: 0n, corruptFilesSkipped: 0, switchPauseMs: [] };
  private next: number;
  private watermark: number | null = null;
  readonly watermarks = {
    snapshot: () => ({ job: this.watermark, partitions: [{ partition: 0, maxEventTime: null, watermark: this.watermark }] }),
    view: () => [],
  };

  constructor(private readonly c: Case, from: number, private readonly stop: AbortController) {
    this.next = from;
  }

  positions() {
    return [{ partition: 0, source: 'kafka' as const, nextOffset: BigInt(this.next) }];
  }

  liveEndOffsets(): ReadonlyMap<number, bigint> {
    return new Map();
  }

  async *steps(): AsyncGenerator<SourceStep<DecodedEvent>> {
    const steps = this.c.steps!;
    while (this.next < steps.length) {
      const step = steps[this.next]!;
      this.next++;
      if (step.op === 'snapshot_restore') {
        this.stop.abort();
        yield { kind: 'idle' };
        return;
      }
      if (step.op === 'watermark') {
        this.watermark = step.ts!;
        yield { kind: 'watermark', watermark: step.ts! };
        continue;
      }
      const record = { offset: BigInt(this.next - 1), timestamp: 0, key: null, value: encoder.encode(JSON.stringify({ key: step.key, ts: step.ts, value: step.value })), eventTime: null };
      yield { kind: 'records', partition: 0, phase: 'kafka', records: [record], decoded: [decode(record, 'kafka')] };
    }
  }
}

/** Runs the case through SessionsJob; checks each step's emits (in processing order) and the late side output. */
export async function runCaseThroughJob(c: Case): Promise<void> {
  const t = mapTrigger(c.config?.trigger);
  const windows = sessionWindows({ gapMs: c.config!.gap_ms, allowedLatenessMs: c.config!.allowed_lateness_ms ?? 0, trigger: t.trigger, purging: t.purging, aggregate: mapAggregate(c.config?.aggregate) });
  const store = new CheckpointStore(new LocalFs(), mkdtempSync(path.join(tmpdir(), 'oxbow-conformance-job-')));
  const output = new MemorySink();
  const late: { key: string; ts: number; value: unknown }[] = [];
  const sink = engineToOutput(output, (_p, key, ts, event) => late.push({ key, ts, value: event.value }));
  let from = 0;
  for (;;) {
    const restored = (await store.latest())?.checkpoint ?? null;
    const stop = new AbortController();
    const engine = restored?.engine ? SessionEngine.restore(restored.engine, windows, sink) : new SessionEngine(windows, sink);
    const source = new StepsSource(c, from, stop);
    const job = new SessionsJob({ topic: 't', partitions: [0], source, engine, sink: output, store, checkpointIntervalMs: 3_600_000, restoredFrom: restored, signal: stop.signal });
    const summary = await job.run();
    if (summary.stoppedBy === 'end') break;
    from = Number(source.positions()[0]!.nextOffset);
  }
  const got: Emit[] = output.lines.map((l) => JSON.parse(l) as { key: string; start: number; end: number; result: unknown }).map((r) => ({ key: r.key, start: r.start, end: r.end, value: r.result }));
  let at = 0;
  for (const [i, step] of c.steps!.entries()) {
    const want = (step.expect_emit ?? []).map((e) => ({ key: e.key, start: e.start, end: e.end, value: e.value }));
    assert.deepEqual(sortEmits(got.slice(at, at + want.length)), sortEmits(want), `${c.id} step ${i} through the sessions job`);
    at += want.length;
  }
  assert.deepEqual(got.slice(at), [], `${c.id}: nothing more at end of input`);
  assert.deepEqual(late, c.steps!.flatMap((s) => s.expect_late ?? []).map((e) => ({ key: e.key, ts: e.ts, value: e.value })), `${c.id}: late side output`);
}
