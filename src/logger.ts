// The one logger libraries write through; only src/cli/ decides where its lines go (nothing else touches the console).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface LogRecord {
  level: LogLevel;
  component: string;
  message: string;
  fields: LogFields;
  timestamp: number;
}

export type LogSink = (record: LogRecord) => void;

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let sink: LogSink = () => {};
let threshold: LogLevel = 'info';
let format: 'text' | 'json' = 'text';

/** Route every logger's output (the CLI points this at stderr; libraries and tests leave it silent or capture it). */
export function setLogSink(next: LogSink, level: LogLevel = 'info', lineFormat: 'text' | 'json' = 'text'): void {
  sink = next;
  threshold = level;
  format = lineFormat;
}

/** The level and line format set now (a worker thread, with loggers of its own, writes the same way). */
export function logSettings(): { level: LogLevel; format: 'text' | 'json' } {
  return { level: threshold, format };
}

export interface Logger {
  /** Whether a record of this level would be written (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function getLogger(component: string): Logger {
  const write = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (levelRank[level] < levelRank[threshold]) return;
    sink({ level, component, message, fields, timestamp: Date.now() });
  };
  return { enabled: (level) => levelRank[level] >= levelRank[threshold], debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** One JSON object per record (`--log-format json`): `{"time","level","component","message",...fields}`, bigints as strings. */
export function formatLogRecordJson(record: LogRecord): string {
  return JSON.stringify(
    { time: new Date(record.timestamp).toISOString(), level: record.level, component: record.component, message: record.message, ...record.fields },
    (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x),
  );
}

/** One human-readable line per record: `2026-11-24T01:02:03.000Z warn archiver: message key=value`. */
export function formatLogRecord(record: LogRecord): string {
  const fields = Object.entries(record.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x))}`)
    .join(' ');
  return `${new Date(record.timestamp).toISOString()} ${record.level} ${record.component}: ${record.message}${fields ? ' ' + fields : ''}`;
}
