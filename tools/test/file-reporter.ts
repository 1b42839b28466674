// `npm test`'s second node:test reporter: the TAP report (to a file, for the closing totals line) and, written to stdout
// beside the spec report, one line per test file as soon as it finishes (passed or failed, and its time) and a "still
// running" line naming the files in progress whenever a minute passes with none finishing. One reporter does both:
// a third reporter makes node:test warn about its listeners.

import { relative } from 'node:path';
import { tap } from 'node:test/reporters';

/** What node:test reports about one event; only the fields this reporter reads. */
export interface ReporterEvent {
  type: string;
  data?: { name?: string; file?: string; nesting?: number; details?: { duration_ms?: number; passed?: boolean; error?: unknown } };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * Turns node:test events into per-file lines. Node reports a file's own tests in file order (a file that ends early
 * has its tests reported after the files before it), but the file's own completion as soon as its process ends: so the
 * line says whether the file passed and how long it ran, and the spec report beside it lists its tests. Pure (time
 * comes in), so unit tests drive it with events; the default export wires it to the real event stream and clock.
 */
export class FileProgress {
  /** Files whose process runs now, with the time each started. */
  private readonly running = new Map<string, number>();
  private lastLine: number;

  constructor(private readonly cwd: string, now: number) {
    this.lastLine = now;
  }

  /** The line to print for this event, if any. */
  onEvent(event: ReporterEvent, now: number): string | undefined {
    const file = event.data?.file;
    if (file === undefined || event.data?.name !== file) return undefined;
    if (event.type === 'test:dequeue') this.running.set(file, now);
    if (event.type !== 'test:complete') return undefined;
    const began = this.running.get(file);
    this.running.delete(file);
    this.lastLine = now;
    const details = event.data.details ?? {};
    const ms = details.duration_ms ?? (began === undefined ? 0 : now - began);
    const error = details.error;
    if (details.passed !== false && error === undefined) return `✔ file ${relative(this.cwd, file)} passed in ${seconds(ms)}\n`;
    const why = error instanceof Error ? error.message : error === undefined ? 'failed' : String(error);
    return `✖ file ${relative(this.cwd, file)} failed in ${seconds(ms)}: ${why.split('\n')[0]}\n`;
  }

  /** A line naming the files still running when none finished for `quietMs`; undefined otherwise. */
  heartbeat(now: number, quietMs: number): string | undefined {
    if (now - this.lastLine < quietMs || this.running.size === 0) return undefined;
    this.lastLine = now;
    const running = [...this.running].map(([file, began]) => `${relative(this.cwd, file)} (${seconds(now - began)})`);
    return `… still running: ${running.join(', ')}\n`;
  }
}

export default async function* tapWithFileLines(source: AsyncIterable<ReporterEvent>): AsyncGenerator<string, void> {
  const progress = new FileProgress(process.cwd(), Date.now());
  // The event stream is quiet while a slow test runs, so the heartbeat writes on its own timer.
  const timer = setInterval(() => {
    const line = progress.heartbeat(Date.now(), 60_000);
    if (line !== undefined) process.stdout.write(line);
  }, 5_000);
  timer.unref();
  async function* watched(): AsyncGenerator<ReporterEvent> {
    for await (const event of source) {
      const line = progress.onEvent(event, Date.now());
      if (line !== undefined) process.stdout.write(line);
      yield event;
    }
  }
  try {
    yield* tap(watched() as Parameters<typeof tap>[0]);
  } finally {
    clearInterval(timer);
  }
}
