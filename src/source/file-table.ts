// A partition's archive files held in columns (typed arrays) with one small view object per file, so a year of hourly
// files costs about a hundred bytes each in a replay instead of the ~800 of an index entry, its copies and its strings.

import { buildFileName, fileExtension } from '../archive/file-name.js';
import type { ArchiveFileEntry } from '../archive/partition-index.js';
import type { ArchiveFormatName } from '../archive/record.js';
import type { ArchiveFileInfo } from './types.js';

/**
 * One row as the table is built from: an index entry as it is (no copy per file), or a file named like one that cannot
 * be read, with `corrupt` saying why.
 */
export type FileRow = Pick<ArchiveFileEntry, 'path' | 'name' | 'startOffset' | 'endOffset' | 'firstOffset' | 'nextOffset' | 'count'
  | 'minEventTime' | 'maxEventTime' | 'untimedMinTimestamp' | 'eventTime' | 'length'> & {
  eventTimeMissing: number | undefined;
  format: ArchiveFormatName | null;
  corrupt?: string;
};

// Columns per row: offsets (start, end, first, next), numbers (count, min, max, missing (NaN: unknown), length,
// untimed minimum (NaN: none or unknown)).
const OFFSETS = 4;
const NUMBERS = 6;

/**
 * Rows in the order given. A path is kept only when it is not the folder plus the canonical name of its offsets (names
 * of other padding); a corrupt row keeps its reason. Strings that repeat (formats, event-time definitions, extensions)
 * are stored once.
 */
export class FileTable {
  readonly length: number;
  private readonly offsets: BigInt64Array;
  private readonly numbers: Float64Array;
  /** Per row: index into `words` of its event-time definition (0: none), format (0: none) and extension. */
  private readonly refs: Uint16Array;
  private readonly words: (string | null)[] = [null];
  private readonly paths = new Map<number, string>();
  private readonly corrupt = new Map<number, string>();
  private readonly folder: string;
  private readonly views: TableFile[];

  constructor(readonly topic: string, readonly partition: number, rows: readonly FileRow[]) {
    this.length = rows.length;
    this.offsets = new BigInt64Array(rows.length * OFFSETS);
    this.numbers = new Float64Array(rows.length * NUMBERS);
    this.refs = new Uint16Array(rows.length * 3);
    const first = rows[0]?.path ?? '';
    this.folder = first.slice(0, first.lastIndexOf('/') + 1);
    const wordIndex = new Map<string, number>();
    const word = (s: string | null): number => {
      if (s === null) return 0;
      let i = wordIndex.get(s);
      if (i === undefined) {
        i = this.words.length;
        if (i > 0xffff) throw new RangeError('file table: too many distinct words');
        this.words.push(s);
        wordIndex.set(s, i);
      }
      return i;
    };
    // Cells are set one by one: a temporary array per row and column group would be three more objects per file while a
    // year of them is listed.
    const { offsets, numbers, refs } = this;
    rows.forEach((r, i) => {
      const o = i * OFFSETS;
      offsets[o] = r.startOffset;
      offsets[o + 1] = r.endOffset;
      offsets[o + 2] = r.firstOffset;
      offsets[o + 3] = r.nextOffset;
      const n = i * NUMBERS;
      numbers[n] = r.count;
      numbers[n + 1] = r.minEventTime ?? Number.NEGATIVE_INFINITY;
      numbers[n + 2] = r.maxEventTime ?? Number.NEGATIVE_INFINITY;
      numbers[n + 3] = r.eventTimeMissing ?? Number.NaN;
      numbers[n + 4] = r.length;
      numbers[n + 5] = r.untimedMinTimestamp ?? Number.NaN;
      const extension = fileExtension(r.name);
      refs[i * 3] = word(r.eventTime);
      refs[i * 3 + 1] = word(r.format);
      refs[i * 3 + 2] = word(extension);
      if (r.path !== this.folder + buildFileName(topic, partition, r.startOffset, r.endOffset, extension)) this.paths.set(i, r.path);
      if (r.corrupt !== undefined) this.corrupt.set(i, r.corrupt);
    });
    this.views = Array.from({ length: rows.length }, (_, i) => new TableFile(this, i));
  }

  /** The files as the source's catalogue hands them on: one view per row, sharing this table. */
  files(): TableFile[] {
    return this.views;
  }

  path(i: number): string {
    return this.paths.get(i) ?? this.folder + buildFileName(this.topic, this.partition, this.startOffset(i), this.endOffset(i), this.words[this.refs[i * 3 + 2]!]!);
  }
  startOffset(i: number): bigint { return this.offsets[i * OFFSETS]!; }
  endOffset(i: number): bigint { return this.offsets[i * OFFSETS + 1]!; }
  firstOffset(i: number): bigint { return this.offsets[i * OFFSETS + 2]!; }
  nextOffset(i: number): bigint { return this.offsets[i * OFFSETS + 3]!; }
  count(i: number): number { return this.numbers[i * NUMBERS]!; }
  minEventTime(i: number): number { return this.numbers[i * NUMBERS + 1]!; }
  maxEventTime(i: number): number { return this.numbers[i * NUMBERS + 2]!; }
  eventTimeMissing(i: number): number | undefined {
    const n = this.numbers[i * NUMBERS + 3]!;
    return Number.isNaN(n) ? undefined : n;
  }
  fileLength(i: number): number { return this.numbers[i * NUMBERS + 4]!; }
  untimedMinTimestamp(i: number): number | null {
    const n = this.numbers[i * NUMBERS + 5]!;
    return Number.isNaN(n) ? null : n;
  }
  eventTime(i: number): string | null { return this.words[this.refs[i * 3]!]!; }
  corruptReason(i: number): string | null { return this.corrupt.get(i) ?? null; }

  /** The index entry of a readable row (what the file reader takes); null for a corrupt one. */
  entry(i: number): ArchiveFileEntry | null {
    const format = this.words[this.refs[i * 3 + 1]!] as ArchiveFormatName | null;
    if (this.corrupt.has(i) || format === null) return null;
    const path = this.path(i);
    const min = this.minEventTime(i);
    const max = this.maxEventTime(i);
    return {
      path, name: path.slice(path.lastIndexOf('/') + 1), topic: this.topic, partition: this.partition,
      startOffset: this.startOffset(i), endOffset: this.endOffset(i), firstOffset: this.firstOffset(i), lastOffset: this.endOffset(i),
      nextOffset: this.nextOffset(i), count: this.count(i), minEventTime: Number.isFinite(min) ? min : null, maxEventTime: Number.isFinite(max) ? max : null,
      eventTimeMissing: this.eventTimeMissing(i) ?? 0, untimedMinTimestamp: this.untimedMinTimestamp(i), format, eventTime: this.eventTime(i), length: this.fileLength(i),
    };
  }
}

/**
 * One row of a FileTable seen as an ArchiveFileInfo. Its facts are getters on the table: spreading a view (`{ ...f }`)
 * copies none of them, so code that needs a changed file builds it field by field.
 */
export class TableFile implements ArchiveFileInfo {
  constructor(readonly table: FileTable, readonly row: number) {}
  get path(): string { return this.table.path(this.row); }
  get partition(): number { return this.table.partition; }
  get startOffset(): bigint { return this.table.startOffset(this.row); }
  get endOffset(): bigint { return this.table.endOffset(this.row); }
  get nextOffset(): bigint { return this.table.nextOffset(this.row); }
  get count(): number { return this.table.count(this.row); }
  get minEventTime(): number { return this.table.minEventTime(this.row); }
  get maxEventTime(): number { return this.table.maxEventTime(this.row); }
  get eventTime(): string | null { return this.table.eventTime(this.row); }
  get eventTimeMissing(): number | undefined { return this.table.eventTimeMissing(this.row); }
  get untimedMinTimestamp(): number | null { return this.table.untimedMinTimestamp(this.row); }
}
