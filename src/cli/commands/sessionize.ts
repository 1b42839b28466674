// `oxbow sessionize`: JSON lines in, one JSON line per session firing out. This file maps flags to the engine's window
// spec and the lines job (src/job/lines-job.ts), opens the files, and reports bad lines and the closing note.

import { createReadStream, promises as fsp } from 'node:fs';
import { type Command, Option } from 'commander';
import { SessionEngine } from '../../engine/session-engine.js';
import type { SessionSink } from '../../engine/types.js';
import { EXIT_USAGE, UsageError } from '../../errors.js';
import { DEFAULT_EVENT_TIME, KAFKA_TIMESTAMP, parseEventTimeDefinition } from '../../event-time.js';
import { checkBadRatio, MAX_BAD_RATIO_OPTION, parseBadRatio } from '../../job/bad-ratio.js';
import { runLinesJob, type WatermarkMode } from '../../job/lines-job.js';
import { outputLine, resultRecord, retractionRecord } from '../../sink/types.js';
import { readSavepoint, writeSavepoint } from '../../state/savepoint-io.js';
import { parseDuration } from '../../time.js';
import type { CliContext } from '../context.js';
import { fileWriter, LineWriter } from '../line-writer.js';
import { behindNote } from '../sessions-report.js';
import { type WindowFlags, windowsFromFlags, withWindowFlags } from '../window-flags.js';

/** Bad lines reported one by one on stderr; past this many only the count goes on. */
const MAX_REPORTED_BAD_LINES = 100;

interface SessionizeFlags extends WindowFlags {
  maxBadRatio: string;
  input: string;
  output: string;
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
 * `--bound D` (as `oxbow sessions` spells it), or `--watermark explicit` ({"watermark": MS} lines), or the old spelling
 * `--watermark bounded:D`. Bounded out-of-orderness is one rule everywhere: watermark = max event time seen - D - 1.
 */
function watermarkMode(flags: SessionizeFlags, boundGiven: boolean): WatermarkMode {
  const text = flags.watermark;
  if (text === undefined) return { explicit: false, boundMs: parseDuration(flags.bound, '--bound') };
  if (boundGiven) throw new UsageError(`--watermark ${text} and --bound ${flags.bound}: give one (--watermark bounded:D is the old spelling of --bound D)`);
  if (text === 'explicit') return { explicit: true };
  const m = /^bounded:(.+)$/.exec(text);
  if (m) return { explicit: false, boundMs: parseDuration(m[1]!, '--watermark bounded:DURATION') };
  throw new UsageError(`--watermark: '${text}' is not a watermark mode; use explicit, or --bound DURATION for bounded out-of-orderness`);
}

export function registerSessionize(program: Command, ctx: CliContext): void {
  const command = program
    .command('sessionize')
    .description('Group JSON-line events into event-time session windows (Flink semantics) and print one JSON line per session firing.')
    .requiredOption('--gap <duration>', 'session gap: events at most this far apart share a session (1500ms, 5s, 30m, 2h, 1d)')
    .option('--input <file>', "JSON-lines input, '-' for stdin", '-')
    .option('--output <file>', "where result lines go, '-' for stdout", '-');
  withWindowFlags(command)
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
    .option(...MAX_BAD_RATIO_OPTION)
    .action(async (flags: SessionizeFlags, cmd: Command) => {
      await runSessionize(flags, ctx, cmd.getOptionValueSource('bound') !== 'default', cmd.getOptionValueSource('eventTime') !== 'default');
    });
}

async function runSessionize(flags: SessionizeFlags, ctx: CliContext, boundGiven: boolean, eventTimeGiven: boolean): Promise<void> {
  // Every flag is checked before any input is read or any file is touched.
  const windows = windowsFromFlags(flags);
  const watermark = watermarkMode(flags, boundGiven);
  const maxBadRatio = parseBadRatio(flags.maxBadRatio);
  if (flags.keyField === '') throw new UsageError('--key-field: give a field name');
  if (flags.timeField !== undefined && eventTimeGiven && flags.timeField !== flags.eventTime) {
    throw new UsageError(`--time-field ${flags.timeField} and --event-time ${flags.eventTime} disagree; --time-field is the old spelling of --event-time, give one`);
  }
  const eventTime = flags.timeField !== undefined ? parseEventTimeDefinition(flags.timeField, '--time-field') : parseEventTimeDefinition(flags.eventTime);
  if (eventTime.path === null) throw new UsageError(`--event-time ${KAFKA_TIMESTAMP}: JSON lines carry no Kafka record timestamp; name the field holding the event time`);
  if (flags.input !== '-') {
    const st = await fsp.stat(flags.input).catch(() => null);
    if (st === null || !st.isFile()) throw new UsageError(`--input: ${flags.input} is not a readable file`);
  }

  // The savepoint is read and checked before any output file is created.
  let out!: LineWriter;
  let late: LineWriter | null = null;
  let currentLine = '';
  let lateDropped = 0;
  const sink: SessionSink = {
    result: (r) => out.line(outputLine(resultRecord(r), false)),
    retraction: (r) => out.line(outputLine(retractionRecord(r), false)),
    // The engine calls this synchronously for the event being processed: its line is currentLine.
    late: () => (late !== null ? late.line(currentLine) : lateDropped++),
  };
  const engine = flags.fromSavepoint === undefined
    ? new SessionEngine(windows, sink)
    : SessionEngine.restore(await readSavepoint(flags.fromSavepoint), windows, sink, flags.fromSavepoint);
  out = flags.output === '-' ? new LineWriter(ctx.stdout, 'stdout') : fileWriter(flags.output);
  if (flags.lateOutput !== undefined) late = fileWriter(flags.lateOutput);
  const dead = flags.deadLetter !== undefined ? fileWriter(flags.deadLetter) : null;
  const writers = [out, late, dead].filter((w): w is LineWriter => w !== null);
  const closeAll = async () => { for (const w of writers) await w.close(w !== out || flags.output !== '-'); };
  // Asked after every line: no closure made per call.
  const mustFlush = (): boolean => {
    for (const w of writers) if (w.needsFlush) return true;
    return false;
  };

  const input = flags.input === '-' ? ctx.stdin : createReadStream(flags.input);
  let badReported = 0;
  let firstBad: string | null = null;
  let result;
  try {
    const aggregate = windows.aggregate;
    result = await runLinesJob({
      // An event holds what the aggregate reads (late events are written as their lines, not as events).
      event: { keyField: flags.keyField, eventTime, maxAheadMs: Number.POSITIVE_INFINITY, check: aggregate.check?.bind(aggregate), fields: aggregate.fields },
      watermark,
      strict: flags.strict === true,
    }, {
      input: input as AsyncIterable<Uint8Array | string>,
      engine,
      // The line is text only when --late-output writes it.
      onEventLine: late !== null ? (line) => { currentLine = line; } : undefined,
      onBadLine: (lineNo, reason, line) => {
        firstBad ??= `line ${lineNo}: ${reason}`;
        if (dead !== null) return dead.line(line);
        if (++badReported <= MAX_REPORTED_BAD_LINES) ctx.stderr.write(`oxbow sessionize: line ${lineNo}: ${reason}; skipped\n`);
        if (badReported === MAX_REPORTED_BAD_LINES) ctx.stderr.write('oxbow sessionize: further bad lines are only counted\n');
      },
      afterLine: () => (mustFlush() ? Promise.all(writers.map((w) => w.flush())).then(() => undefined) : undefined),
    });
  } finally {
    if (input !== ctx.stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
  if (result.stoppedAt !== null) {
    await closeAll();
    ctx.stderr.write(`oxbow sessionize: ${result.stoppedAt}\n`);
    ctx.exitCode = EXIT_USAGE;
    return;
  }
  // Stop with savepoint: the open sessions are kept, not fired; --from-savepoint continues them.
  if (flags.savepointOnExit !== undefined) await writeSavepoint(flags.savepointOnExit, engine.snapshot());
  else engine.finish();
  await closeAll();

  const notes: string[] = [];
  const bad = result.badLines;
  if (bad > 0) notes.push(`${bad} bad line${bad === 1 ? '' : 's'} skipped${dead !== null ? ` (written to ${flags.deadLetter})` : ''}`);
  if (lateDropped > 0) notes.push(`${lateDropped} late event${lateDropped === 1 ? '' : 's'} dropped (give --late-output FILE to keep them)`);
  if (flags.savepointOnExit !== undefined) notes.push(`${engine.openSessionCount()} open sessions saved to ${flags.savepointOnExit}`);
  if (notes.length > 0) ctx.stderr.write(`oxbow sessionize: ${result.lines} lines, ${result.events} events; ${notes.join('; ')}\n`);
  const behind = behindNote(engine.stats().behindWatermark, watermark.explicit ? null : '--bound');
  if (behind !== '') ctx.stderr.write(`oxbow sessionize: ${behind}`);
  checkBadRatio(result.badLines, result.lines, maxBadRatio, firstBad);
}
