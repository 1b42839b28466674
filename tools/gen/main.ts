// CLI of the music event generator: writes JSONL music events to stdout or a file (`node dist/tools/gen/main.js --help`).

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { parseDuration, parseEventTime } from '../../src/time.js';
import { generateMusicEvents, type MusicGenOptions } from '../../src/gen/music-events.js';

function int(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: '${text}' is not a non-negative number`);
    return n;
  };
}

export async function run(argv: string[]): Promise<void> {
  const program = new Command('oxbow-gen')
    .description('Generate realistic music events (JSONL, one event a line, in arrival order).')
    .option('--seed <n>', 'random seed; same seed and options give the same events', int('--seed'), 1)
    .option('--users <n>', 'number of users', int('--users'), 100)
    .option('--start <time>', 'first event time, epoch ms or ISO-8601', '2026-11-01T00:00:00Z')
    .option('--duration <duration>', 'length of the period, e.g. 3d', '1d')
    .option('--sessions-per-day <n>', 'mean listening sessions per user per day', int('--sessions-per-day'), 3)
    .option('--songs-per-session <n>', 'mean songs per session', int('--songs-per-session'), 12)
    .option('--disorder <duration>', 'out-of-orderness bound', '5s')
    .option('--limit <n>', 'stop after this many events', int('--limit'))
    .option('--out <file>', 'write here instead of stdout')
    .parse(argv);
  const opts = program.opts<{ seed: number; users: number; start: string; duration: string; sessionsPerDay: number; songsPerSession: number; disorder: string; limit?: number; out?: string }>();
  const start = parseEventTime(opts.start);
  if (start === null) throw new Error(`--start: '${opts.start}' is not epoch ms or ISO-8601`);
  const options: MusicGenOptions = {
    seed: opts.seed,
    users: opts.users,
    start,
    durationMs: parseDuration(opts.duration, '--duration'),
    sessionsPerDay: opts.sessionsPerDay,
    meanSongsPerSession: opts.songsPerSession,
    maxDisorderMs: parseDuration(opts.disorder, '--disorder'),
  };
  if (opts.limit !== undefined) options.limit = opts.limit;
  const out = opts.out ? createWriteStream(opts.out) : process.stdout;
  let chunk = '';
  for (const event of generateMusicEvents(options)) {
    chunk += JSON.stringify(event) + '\n';
    if (chunk.length >= 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk) out.write(chunk);
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
}

run(process.argv).catch((err: unknown) => {
  process.stderr.write(`oxbow-gen: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
