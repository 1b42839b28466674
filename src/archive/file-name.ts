// Archive paths in one place: committed file names `<topic>+<p>+<start>+<end>.<ext>`, partition folders, temp folders, topic-name checks.

import { joinPath } from '../archive-fs.js';
import { UsageError } from '../errors.js';

/** The writer pads offsets to 20 digits: every int64 offset fits, so a plain name sort is also offset order. */
export const OFFSET_PAD_WIDTH = 20;

/** The folder under the root that holds the `topics/` tree (Kafka Connect HDFS's `topics.dir`). */
export const TOPICS_DIR = 'topics';
/** Temp files live under here and become visible only by rename (Kafka Connect HDFS uses the same `+tmp`). */
export const TEMP_DIR = '+tmp';
/**
 * oxbow's own folder inside `+tmp`. Kafka Connect puts its temp files in `+tmp/<topic>/...`; `+` cannot occur in a
 * Kafka topic name, so no Connect writer ever uses this folder and oxbow may empty it without touching Connect's files.
 */
export const OWN_TEMP_DIR = '+oxbow';

export interface ParsedFileName {
  topic: string;
  partition: number;
  startOffset: bigint;
  endOffset: bigint;
  /** Everything after the end offset's dot, e.g. `parquet` or `jsonl.gz`. */
  extension: string;
}

/**
 * Kafka's own rule for topic names, minus `.`/`..` alone: letters, digits, `.`, `_`, `-`, at most 249 characters.
 * `+` is excluded by Kafka too, which is what keeps the `+`-separated file names unambiguous.
 */
export function validateTopicName(topic: string, what = 'topic'): string {
  if (topic.length === 0) throw new UsageError(`${what}: the topic name is empty; give a Kafka topic name such as 'listens'`);
  if (topic === '.' || topic === '..' || topic.includes('/') || topic.includes('\\')) {
    throw new UsageError(`${what}: '${topic}' cannot be a folder name in the archive (no '/', '\\', '.' or '..'); use a Kafka topic name`);
  }
  if (topic.length > 249 || !/^[A-Za-z0-9._-]+$/.test(topic)) {
    throw new UsageError(`${what}: '${topic}' is not a valid Kafka topic name (letters, digits, '.', '_', '-'; at most 249 characters)`);
  }
  return topic;
}

export function validatePartition(partition: number, what = 'partition'): number {
  if (!Number.isSafeInteger(partition) || partition < 0) {
    throw new UsageError(`${what}: '${partition}' is not a partition number (a whole number >= 0)`);
  }
  return partition;
}

function padOffset(offset: bigint): string {
  if (offset < 0n) throw new UsageError(`offset ${offset} is negative; archive offsets are >= 0`);
  return offset.toString().padStart(OFFSET_PAD_WIDTH, '0');
}

/** `listens+3+00000000000000000100+00000000000000000199.parquet` (offsets inclusive). */
export function buildFileName(topic: string, partition: number, startOffset: bigint, endOffset: bigint, extension: string): string {
  validateTopicName(topic);
  validatePartition(partition);
  if (endOffset < startOffset) throw new UsageError(`file name: end offset ${endOffset} is below start offset ${startOffset}`);
  return `${topic}+${partition}+${padOffset(startOffset)}+${padOffset(endOffset)}.${extension}`;
}

const namePattern = /^([A-Za-z0-9._-]+)\+(\d+)\+(\d+)\+(\d+)\.([A-Za-z0-9][A-Za-z0-9.]*)$/;

/** Parses any padding (Kafka Connect pads to 10 by default); null for a name that is not an archive file. */
export function parseFileName(name: string): ParsedFileName | null {
  const match = namePattern.exec(name);
  if (!match) return null;
  const [, topic, partition, start, end, extension] = match as unknown as [string, string, string, string, string, string];
  const startOffset = BigInt(start);
  const endOffset = BigInt(end);
  const p = Number(partition);
  if (!Number.isSafeInteger(p) || endOffset < startOffset || topic === '.' || topic === '..') return null;
  return { topic, partition: p, startOffset, endOffset, extension };
}

/** The extension of an archive file name (`parquet` of `t+0+..+...parquet`): what follows the end offset's dot. */
export function fileExtension(name: string): string {
  const end = name.lastIndexOf('+');
  return name.slice(name.indexOf('.', end) + 1);
}

/** Numeric order by start then end offset: the order replay reads files in, whatever the padding. */
export function compareByOffsets(a: { startOffset: bigint; endOffset: bigint }, b: { startOffset: bigint; endOffset: bigint }): number {
  if (a.startOffset !== b.startOffset) return a.startOffset < b.startOffset ? -1 : 1;
  if (a.endOffset !== b.endOffset) return a.endOffset < b.endOffset ? -1 : 1;
  return 0;
}


export function topicsDir(root: string): string {
  return joinPath(root, TOPICS_DIR);
}

export function topicDir(root: string, topic: string): string {
  return joinPath(root, TOPICS_DIR, validateTopicName(topic));
}

export function partitionDirName(partition: number): string {
  return `partition=${validatePartition(partition)}`;
}

/** `partition=3` → 3; null for anything else. */
export function parsePartitionDirName(name: string): number | null {
  const match = /^partition=(\d+)$/.exec(name);
  if (!match) return null;
  const p = Number(match[1]);
  return Number.isSafeInteger(p) ? p : null;
}

export function partitionDir(root: string, topic: string, partition: number): string {
  return joinPath(topicDir(root, topic), partitionDirName(partition));
}

export function committedFilePath(root: string, topic: string, partition: number, startOffset: bigint, endOffset: bigint, extension: string): string {
  return joinPath(partitionDir(root, topic, partition), buildFileName(topic, partition, startOffset, endOffset, extension));
}

/** The temp folder of one partition: `topics/+tmp/+oxbow/<topic>/partition=<p>/`, oxbow's alone. */
export function tempPartitionDir(root: string, topic: string, partition: number): string {
  return joinPath(root, TOPICS_DIR, TEMP_DIR, OWN_TEMP_DIR, validateTopicName(topic), partitionDirName(partition));
}

/** Where oxbow 0.1 put its temp files: `topics/+tmp/<topic>/partition=<p>/`, the folder Kafka Connect HDFS uses too. */
export function legacyTempPartitionDir(root: string, topic: string, partition: number): string {
  return joinPath(root, TOPICS_DIR, TEMP_DIR, validateTopicName(topic), partitionDirName(partition));
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Names only oxbow 0.1 gave its temp files: `<uuid>.<ext>` and `_oxbow-index.json.<uuid>` (Connect's are `<uuid>_tmp.<ext>`). */
const legacyTempName = new RegExp(`^(?:${UUID}\\.[a-z0-9][a-z0-9.]*|_oxbow-index\\.json\\.${UUID})$`);

/** True for a file in the legacy temp folder that oxbow can prove it wrote (and so may delete). */
export function isLegacyOwnTempName(name: string): boolean {
  return legacyTempName.test(name);
}
