// `oxbow sessionize`: JSON lines in, one JSON line per session firing out; the session engine driven from a file or stdin.

import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { createAggregate } from '../../engine/aggregates/index.js';
import { SessionEngine } from '../../engine/session-engine.js';
import type { SessionEngineOptions, SessionSink } from '../../engine/types.js';
import { parseTriggerSpec } from '../../engine/triggers/index.js';
import { OxbowError, UsageError } from '../../errors.js';
import { readSavepoint, writeSavepoint } from '../../state/savepoint-io.js';
import { DEFAULT_EVENT_TIME, eventTimeOfValue, KAFKA_TIMESTAMP, parseEventTimeDefinition } from '../../event-time.js';
import { parseDuration, parseEventTime } from '../../time.js';
import type { CliContext } from '../context.js';

const EXIT_USAGE = 2;
/** Bad lines reported one by one on stderr; past this many only the count goes on. */
const MAX_REPORTED_BAD_LINES = 100;
const FLUSH_AT = 64 * 1024;

interface SessionizeOptions {
  gap: string;
  input: string;
  output: string;
  allowedLateness: string;
  trigger: string;
  purging?: boolean;
  retractions?: boolean;
  aggregate: string;
  playlist?: string;
  keyField: string;
  eventTime: string;
  timeField?: string;
  bound: string;
  watermark?: string;
  lateOutput?: string;
  fromSavepoint?: string;
  savepointOnExit?: string;
  deadLetter?: string;
  strict?: boolean;
}

/**
 * Lines gathered into large writes. A full buffer is handed to the stream at once, even inside a
 * synchronous burst (the end-of-input firing of every session): a string built up by `+=` is a
 * rope that the young-generation GC would copy again and again. `flush()` waits for the stream
 * to drain (backpressure) whenever a write reported a full stream.
 */
class LineWriter {
  private buf = '';
  private mustDrain = false;
  private error: Error | null = null;
  readonly stream: NodeJS.WritableStream;
  private readonly name: string;

  constructor(stream: NodeJS.WritableStream, name: string) {
    this.stream = stream;
    this.name = name;
    stream.on('error', (err: Error) => (this.error ??= err));
  }

  line(text: string): void {
    this.buf += text + '\n';
    if (this.buf.length >= FLUSH_AT) this.spill();
  }

  get needsFlush(): boolean {
    return this.mustDrain;
  }

  private spill(): void {
    const chunk = this.buf;
    this.buf = '';
    if (!this.stream.write(chunk)) this.mustDrain = true;
  }

  async flush(): Promise<void> {
    this.throwIfFailed();
    if (this.buf !== '') this.spill();
    if (!this.mustDrain) return;
    this.mustDrain = false;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
      this.stream.on('close', done);
    });
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error !== null) throw new OxbowError('OUTPUT', `cannot write ${this.name}: ${this.error.message}`);
  }

  /** Flush and, for a file we opened, close it and wait until its bytes are written. */
  async close(owned: boolean): Promise<void> {
    await this.flush();
    if (!owned) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

/**
 * `--bound D` (as `oxbow sessions` spells it), or `--watermark explicit` ({"watermark": MS} lines), or the old spelling
 * `--watermark bounded:D`. Bounded out-of-orderness is one rule everywhere: watermark = max event time seen - D - 1.
 */
function parseWatermarkMode(opts: SessionizeOptions, boundGiven: boolean): { explicit: true } | { explicit: false; boundMs: number } {
  const text = opts.watermark;
  if (text === undefined) return { explicit: false, boundMs: parseDuration(opts.bound, '--bound') };
  if (boundGiven) throw new UsageError(`--watermark ${text} and --bound ${opts.bound}: give one (--watermark bounded:D is the old spelling of --bound D)`);
  if (text === 'explicit') return { explicit: true };
  const m = /^bounded:(.+)$/.exec(text);
  if (m) return { explicit: false, boundMs: parseDuration(m[1]!, '--watermark bounded:DURATION') };
  throw new UsageError(`--watermark: '${text}' is not a watermark mode; use explicit, or --bound DURATION for bounded out-of-orderness`);
}

function fileWriter(file: string): LineWriter {
  return new LineWriter(createWriteStream(file), file);
}

export function registerSessionize(program: Command, ctx: CliContext): void {
  program
    .command('sessionize')
    .description('Group JSON-line events into event-time session windows (Flink semantics) and print one JSON line per session firing.')
    .requiredOption('--gap <duration>', 'session gap: events at most this far apart share a session (1500ms, 5s, 30m, 2h, 1d)')
    .option('--input <file>', "JSON-lines input, '-' for stdin", '-')
    .option('--output <file>', "where result lines go, '-' for stdout", '-')
    .option('--allowed-lateness <duration>', 'how long after a session fired a late event may still update it', '0ms')
    .option('--trigger <trigger>', 'event-time | continuous:DURATION | count:N', 'event-time')
    .option('--purging', 'purge a session at each firing (results are deltas, not running totals)')
    .option('--retractions', 'also emit {"retract": true, ...} lines for results that a merge replaced')
    .option('--aggregate <aggregate>', 'count | sum:FIELD | listening | playlist-runs', 'count')
    .option('--playlist <id>', 'playlist-runs: keep only the runs of this playlist')
    .option('--key-field <name>', 'field holding the session key', 'userId')
    .option('--event-time <field|kafka-timestamp>', 'event time: a JSON field of each line (epoch ms or ISO-8601; dotted paths allowed)', DEFAULT_EVENT_TIME)
    .addOption(new Option('--time-field <field>', 'alias of --event-time (the spelling of oxbow 0.1)').hideHelp())
    .option('--bound <duration>', 'out-of-orderness bound: watermark = max event time seen - bound - 1', '0ms')
    .option('--watermark <mode>', 'explicit: {"watermark": MS} lines set the watermark instead of --bound')
    .option('--late-output <file>', 'write events too late for any session (the original lines) here')
    .option('--from-savepoint <path>', 'continue from a savepoint written by --savepoint-on-exit')
    .option('--savepoint-on-exit <path>', 'at end of input save the full state here and flush nothing (stop-with-savepoint)')
    .option('--dead-letter <file>', 'write bad input lines here instead of reporting each on stderr')
    .option('--strict', 'stop at the first bad line with exit code 2')
    .action(async (opts: SessionizeOptions, command: Command) => {
      await runSessionize(opts, ctx, command.getOptionValueSource('bound') !== 'default', command.getOptionValueSource('eventTime') !== 'default');
    });
}

async function runSessionize(opts: SessionizeOptions, ctx: CliContext, boundGiven: boolean, eventTimeGiven: boolean): Promise<void> {
  // Every option is checked before any input is read or any file is touched.
  const gapMs = parseDuration(opts.gap, '--gap');
  if (gapMs < 1) throw new UsageError(`--gap: '${opts.gap}' must be at least 1ms`);
  const allowedLatenessMs = parseDuration(opts.allowedLateness, '--allowed-lateness');
  const trigger = parseTriggerSpec(opts.trigger, '--trigger');
  const aggregate = createAggregate(opts.aggregate, opts.playlist === undefined ? {} : { playlist: opts.playlist });
  const wmMode = parseWatermarkMode(opts, boundGiven);
  if (opts.keyField === '') throw new UsageError('--key-field: give a field name');
  if (opts.timeField !== undefined && eventTimeGiven && opts.timeField !== opts.eventTime) {
    throw new UsageError(`--time-field ${opts.timeField} and --event-time ${opts.eventTime} disagree; --time-field is the old spelling of --event-time, give one`);
  }
  const eventTime = opts.timeField !== undefined ? parseEventTimeDefinition(opts.timeField, '--time-field') : parseEventTimeDefinition(opts.eventTime);
  if (eventTime.path === null) throw new UsageError(`--event-time ${KAFKA_TIMESTAMP}: JSON lines carry no Kafka record timestamp; name the field holding the event time`);
  const options: SessionEngineOptions = {
    gapMs,
    allowedLatenessMs,
    trigger,
    purging: opts.purging ?? false,
    retractions: opts.retractions ?? false,
    aggregate,
  };
  if (opts.input !== '-') {
    const st = await fsp.stat(opts.input).catch(() => null);
    if (st === null || !st.isFile()) throw new UsageError(`--input: ${opts.input} is not a readable file`);
  }

  // The savepoint is read and checked before any output file is created.
  let out!: LineWriter;
  let late: LineWriter | null = null;
  let dead: LineWriter | null = null;
  let currentLine = '';
  let lateDropped = 0;
  const sink: SessionSink = {
    result(r) {
      out.line(JSON.stringify({ key: r.key, start: r.start, end: r.end, firing: r.firing, result: r.result }));
    },
    retraction(r) {
      out.line(JSON.stringify({ retract: true, key: r.key, start: r.start, end: r.end }));
    },
    late() {
      // The engine calls this synchronously for the event being processed: its line is currentLine.
      if (late !== null) late.line(currentLine);
      else lateDropped++;
    },
  };
  const engine =
    opts.fromSavepoint === undefined
      ? new SessionEngine(options, sink)
      : SessionEngine.restore(await readSavepoint(opts.fromSavepoint), options, sink, opts.fromSavepoint);

  out = opts.output === '-' ? new LineWriter(ctx.stdout, 'stdout') : fileWriter(opts.output);
  if (opts.lateOutput !== undefined) late = fileWriter(opts.lateOutput);
  if (opts.deadLetter !== undefined) dead = fileWriter(opts.deadLetter);

  const input = opts.input === '-' ? ctx.stdin : createReadStream(opts.input);
  const rl = createInterface({ input, crlfDelay: Infinity });
  const keyField = opts.keyField;
  const check = aggregate.check?.bind(aggregate);
  let lineNo = 0;
  let events = 0;
  let bad = 0;
  let maxTs = -Infinity;
  let stoppedAt: string | null = null;

  const badLine = (reason: string, line: string): boolean => {
    bad++;
    if (opts.strict) {
      stoppedAt = `line ${lineNo}: ${reason} (--strict stops at the first bad line)`;
      return true;
    }
    if (dead !== null) dead.line(line);
    else if (bad <= MAX_REPORTED_BAD_LINES) {
      ctx.stderr.write(`oxbow sessionize: line ${lineNo}: ${reason}; skipped\n`);
      if (bad === MAX_REPORTED_BAD_LINES) ctx.stderr.write(`oxbow sessionize: further bad lines are only counted\n`);
    }
    return false;
  };

  try {
    for await (const line of rl) {
      lineNo++;
      // Blank lines hold no record (checked without allocating a trimmed copy of every line).
      if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        if (badLine('not JSON', line)) break;
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        if (badLine('not a JSON object', line)) break;
        continue;
      }
      const event = obj as Record<string, unknown>;
      const k = event[keyField];
      if (wmMode.explicit && k === undefined && 'watermark' in event) {
        const wm = parseEventTime(event.watermark);
        if (wm === null) {
          if (badLine('the watermark is not epoch ms or ISO-8601', line)) break;
          continue;
        }
        engine.advanceWatermark(wm);
      } else {
        const key = typeof k === 'string' ? k : typeof k === 'number' || typeof k === 'boolean' ? String(k) : null;
        if (key === null) {
          if (badLine(`no key: field '${keyField}' is missing or not a string or number`, line)) break;
          continue;
        }
        const ts = eventTimeOfValue(eventTime, event, Number.NaN);
        if (ts === null) {
          if (badLine(`no time: field '${eventTime.text}' is missing or not epoch ms or ISO-8601`, line)) break;
          continue;
        }
        const why = check === undefined ? null : check(event);
        if (why !== null) {
          if (badLine(why, line)) break;
          continue;
        }
        currentLine = line;
        events++;
        engine.processEvent(0, key, ts, event);
        if (!wmMode.explicit && ts > maxTs) {
          maxTs = ts;
          engine.advanceWatermark(ts - wmMode.boundMs - 1);
        }
      }
      if (out.needsFlush) await out.flush();
      if (late !== null && late.needsFlush) await late.flush();
      if (dead !== null && dead.needsFlush) await dead.flush();
    }
  } finally {
    rl.close();
  }

  if (stoppedAt !== null) {
    await closeAll();
    ctx.stderr.write(`oxbow sessionize: ${stoppedAt}\n`);
    ctx.exitCode = EXIT_USAGE;
    return;
  }

  let savedTo: string | null = null;
  if (opts.savepointOnExit !== undefined) {
    // Stop with savepoint: the open sessions are kept, not fired; --from-savepoint continues them.
    await writeSavepoint(opts.savepointOnExit, engine.snapshot());
    savedTo = opts.savepointOnExit;
  } else {
    engine.finish();
  }
  await closeAll();

  const notes: string[] = [];
  if (bad > 0) notes.push(`${bad} bad line${bad === 1 ? '' : 's'} skipped${dead !== null ? ` (written to ${opts.deadLetter})` : ''}`);
  if (lateDropped > 0) notes.push(`${lateDropped} late event${lateDropped === 1 ? '' : 's'} dropped (give --late-output FILE to keep them)`);
  if (savedTo !== null) notes.push(`${engine.openSessionCount()} open sessions saved to ${savedTo}`);
  if (notes.length > 0) ctx.stderr.write(`oxbow sessionize: ${lineNo} lines, ${events} events; ${notes.join('; ')}\n`);

  async function closeAll(): Promise<void> {
    await out.close(opts.output !== '-');
    if (late !== null) await late.close(true);
    if (dead !== null) await dead.close(true);
  }
}
