// Recognising Kafka Connect HDFS's files and folders in an archive root, so a root that holds them is never replayed in
// part without a word: oxbow's layout was made compatible with Connect's, so both can share `topics/`.

import { ForeignFormatError } from '../errors.js';
import type { ParsedFileName } from './file-name.js';

/** What each of Connect's formats names its files (oxbow writes `.parquet` and `.jsonl.gz` only). */
const CONNECT_EXTENSIONS: Record<string, string> = {
  avro: 'an Avro file (Kafka Connect AvroFormat)',
  json: 'a JSON file (Kafka Connect JsonFormat)',
  txt: 'a text file (Kafka Connect StringFormat)',
  csv: 'a CSV file',
};

/** The one sentence every Connect file finding ends with: which option replays it, and why a partial replay is refused. */
export const CONNECT_NOT_REPLAYED = 'replay a Kafka Connect archive with --archive-layout connect, in a root of its own: replaying only the files oxbow wrote would leave these records out';

/** The sentence a Connect layout oxbow cannot read ends with. */
export const CONNECT_LAYOUT_NOT_READ = 'oxbow reads Kafka Connect archives of the default partitioner only (topics/<topic>/partition=<p>/, --archive-layout connect), and replaying only the rest would leave these records out';

/**
 * What a file named like one of the partition's archive files is, when Kafka Connect HDFS (or another writer) made it:
 * by its extension, or by a Parquet footer without oxbow's metadata. Null for oxbow's own files and for damage.
 */
export function connectFileKind(parsed: ParsedFileName, readError?: unknown): string | null {
  const byExtension = CONNECT_EXTENSIONS[parsed.extension];
  if (byExtension !== undefined) return byExtension;
  if (readError instanceof ForeignFormatError) return `a ${parsed.extension === 'parquet' ? 'Parquet' : parsed.extension} file oxbow did not write (Kafka Connect ParquetFormat writes these)`;
  return null;
}

/**
 * A folder in a topic's folder other than `partition=<p>`: oxbow writes none, Kafka Connect's other partitioners do:
 * `year=2024` (time-based with the default path format), `2024` (a path.format such as YYYY/MM/dd), `<field>=<value>`
 * (field partitioner). Null for `partition=<p>`.
 */
export function connectLayoutFolder(name: string): string | null {
  if (/^partition=\d+$/.test(name)) return null;
  if (/^(year|month|day|hour|dt|date)=/i.test(name) || /^\d+$/.test(name)) return `a folder of Kafka Connect's time-based partitioner (${name})`;
  if (/^[A-Za-z_][\w.-]*=/.test(name)) return `a folder of Kafka Connect's field partitioner (${name})`;
  return `a folder oxbow does not write (${name}); Kafka Connect's partitioners write such folders`;
}
