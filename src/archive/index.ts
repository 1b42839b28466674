// The archive's public API: layout, record model, formats, index, reader; the archiver itself is exported by its own module.

export * from './file-name.js';
export * from './record.js';
export { jsonlGzFormat, recordToJsonLine, recordFromJsonLine } from './jsonl-format.js';
export * from './partition-index.js';
export * from './reader.js';
export * from './coverage.js';
export * from './rotation.js';
export type * from './archive-source.js';
export { Archiver, type ArchiverOptions, type ArchiverEvents, type ArchiverSummary } from './archiver.js';
