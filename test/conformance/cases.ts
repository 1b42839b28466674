// Loads fixtures/conformance/cases.json and maps a case's config onto engine options and `oxbow sessionize` arguments.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Step {
  op: 'event' | 'watermark' | 'snapshot_restore';
  key?: string;
  ts?: number;
  value?: number;
  expect_emit?: { key: string; start: number; end: number; value: number }[];
  expect_late?: { key: string; ts: number; value?: number }[];
}

export interface Case {
  id: string;
  kind: string;
  config?: { gap_ms: number; allowed_lateness_ms?: number; trigger?: string; aggregate?: string };
  steps?: Step[];
  [field: string]: unknown;
}

/** The repository root (dist/test/conformance/ → ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function loadCases(): Case[] {
  const file = path.join(repoRoot, 'fixtures/conformance/cases.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: Case[] }).cases;
}

export interface TriggerConfig {
  trigger: string;
  purging: boolean;
}

/** `EventTimeTrigger`, `CountTrigger(4)`, `ContinuousEventTimeTrigger(1000)`, `PurgingTrigger(X)`. */
export function mapTrigger(text = 'EventTimeTrigger'): TriggerConfig {
  const purging = /^PurgingTrigger\((.*)\)$/.exec(text);
  if (purging) return { trigger: mapTrigger(purging[1]).trigger, purging: true };
  if (text === 'EventTimeTrigger') return { trigger: 'event-time', purging: false };
  const count = /^CountTrigger\((\d+)\)$/.exec(text);
  if (count) return { trigger: `count:${count[1]}`, purging: false };
  const cont = /^ContinuousEventTimeTrigger\((\d+)\)$/.exec(text);
  if (cont) return { trigger: `continuous:${cont[1]}`, purging: false };
  throw new Error(`conformance: unknown trigger '${text}'`);
}

export function mapAggregate(text = 'sum(value)'): string {
  const sum = /^sum\((\w+)\)$/.exec(text);
  if (sum) return `sum:${sum[1]}`;
  if (text === 'count') return 'count';
  throw new Error(`conformance: unknown aggregate '${text}'`);
}

export interface Emit {
  key: string;
  start: number;
  end: number;
  value: unknown;
}

export function sortEmits<T extends { key: string; start: number; end: number }>(list: T[]): T[] {
  return [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start || a.end - b.end));
}
