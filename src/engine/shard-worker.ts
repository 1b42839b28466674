// One engine thread of a ShardedEngine (sharded-engine.ts): a SessionEngine over the keys that hash to this thread,
// fed the job's events and watermarks in order; answers each message with what it emitted and its counters.

import { parentPort, workerData } from 'node:worker_threads';
import { OxbowError } from '../errors.js';
import { createAggregate } from './aggregates/index.js';
import { SessionEngine } from './session-engine.js';
import type { FromShard, ShardInit, ShardOutput, ToShard } from './sharded-engine.js';
import type { SessionSink } from './types.js';
import { sessionWindows } from './window-spec.js';

const port = parentPort!;
const { recipe, restore } = workerData as ShardInit;
let out: ShardOutput[] = [];
const sink: SessionSink = {
  result: (r) => out.push([0, r]),
  retraction: (r) => out.push([1, r]),
  late: (partition, key, ts, event) => out.push([2, partition, key, ts, event]),
};

function answer(m: FromShard): void {
  port.postMessage(m);
}

try {
  const windows = sessionWindows({ ...recipe.windows, aggregate: createAggregate(recipe.aggregate.name, recipe.aggregate.options) });
  const engine = restore ? SessionEngine.restore(restore.snapshot, windows, sink, restore.source) : new SessionEngine(windows, sink);
  port.on('message', (m: ToShard) => {
    try {
      if (m.t === 'ops') {
        const { parts, keys, ts } = m;
        const events = JSON.parse(m.events) as Record<string, unknown>[];
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          if (key === null) engine.advanceWatermark(ts[i]!);
          else engine.processEvent(parts[i]!, key, ts[i]!, events[i]!);
        }
      } else if (m.t === 'finish') {
        engine.finish();
      }
      const snapshot = m.t === 'barrier' && m.snapshot ? engine.snapshot() : undefined;
      const emitted = out;
      out = [];
      answer({ t: 'done', out: emitted, stats: engine.stats(), ...(snapshot ? { snapshot } : {}) });
    } catch (err) {
      fail(err);
    }
  });
} catch (err) {
  fail(err);
}

function fail(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  answer({ t: 'error', message: e.message, exitCode: e instanceof OxbowError ? e.exitCode : 1 });
}
