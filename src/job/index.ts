// The sessions job's public API (see docs/sessions.md "Library API" and docs/replay.md): the assembler, the job, the
// hybrid source it reads, the outputs it writes and the checkpoints it keeps.

export { assembleSessionsJob, engineToOutput, type SessionsJobSpec, type SessionsJobPorts } from './assemble.js';
export { checkBadRatio, DEFAULT_MAX_BAD_RATIO, parseBadRatio } from './bad-ratio.js';
export { SessionsJob, type SessionsJobOptions, type SessionsJobEvents, type BadRecord } from './sessions-job.js';
export type { JobSource, JobEngine, JobProgress, JobSummary } from './types.js';
export { createDecoder, DEFAULT_MAX_AHEAD_MS, type EventSpec, type DecodedEvent, type Decoded } from './decode.js';
export { runLinesJob, type LinesJobSpec, type LinesJobPorts, type LinesJobResult, type WatermarkMode } from './lines-job.js';
export * from '../event-time.js';
export { HybridSource, type HybridSourceOptions, type SourceStep, type SourceStats, type SourcePosition, type GapPolicy, type CorruptPolicy, type Timed } from '../source/hybrid-source.js';
export { archiveCatalog } from '../source/archive-catalog.js';
export type { ArchiveCatalog, ArchiveFileInfo, LiveReader, LiveBatch, SourceRecord } from '../source/types.js';
export { FileSink } from '../sink/file-sink.js';
export { StreamSink } from '../sink/stream-sink.js';
export { outputLine, type OutputRecord, type OutputSink } from '../sink/types.js';
export { CheckpointStore, readCheckpoint } from '../checkpoint/store.js';
export { CHECKPOINT_VERSION, encodeCheckpoint, decodeCheckpoint, type Checkpoint } from '../checkpoint/format.js';
