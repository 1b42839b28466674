// The session engine's public API (see docs/engine.md "Library API").

export { SessionEngine } from './session-engine.js';
export type { SessionResult, SessionRetraction, SessionSink, SessionEngineOptions, SessionEngineStats, Firing } from './types.js';
export type { Aggregate, AccumulatorRow, Json } from './aggregate.js';
export * from './aggregates/index.js';
export { parseTriggerSpec, formatTriggerSpec, createTrigger, TriggerResult, type Trigger, type TriggerContext, type TriggerSpec } from './triggers/index.js';
export { mergeWindows, intersects, endsBefore, cover, maxTimestamp, type TimeWindow, type WindowMerge } from './time-window.js';
export { sessionWindows, type SessionWindows } from './window-spec.js';
export { cleanupTime, isWindowLate } from './lateness.js';
export * from '../state/snapshot-format.js';
export * from '../state/savepoint-io.js';
