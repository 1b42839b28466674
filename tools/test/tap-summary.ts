// Reads the totals from the end of node:test's TAP output, so `npm test` can close with one plain "N passed, N failed" line.

export interface TestTotals {
  tests: number;
  passed: number;
  failed: number;
  cancelled: number;
  skipped: number;
  todo: number;
}

/** The last value of each `# name N` summary line; undefined when the run ended before printing its summary. */
export function parseTapTotals(tap: string): TestTotals | undefined {
  const last = (name: string): number | undefined => {
    const matches = [...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))];
    const value = matches.at(-1)?.[1];
    return value === undefined ? undefined : Number(value);
  };
  const tests = last('tests');
  const passed = last('pass');
  const failed = last('fail');
  if (tests === undefined || passed === undefined || failed === undefined) return undefined;
  return { tests, passed, failed, cancelled: last('cancelled') ?? 0, skipped: last('skipped') ?? 0, todo: last('todo') ?? 0 };
}

/** `tests: 12 passed, 1 failed` (+ `, 2 skipped`): cancelled tests count as failed, since they did not pass. */
export function formatTotals(totals: TestTotals): string {
  const failed = totals.failed + totals.cancelled;
  return `tests: ${totals.passed} passed, ${failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}`;
}

/** Totals of several runs (the phases of one `npm test`). */
export function addTotals(a: TestTotals, b: TestTotals): TestTotals {
  return {
    tests: a.tests + b.tests, passed: a.passed + b.passed, failed: a.failed + b.failed,
    cancelled: a.cancelled + b.cancelled, skipped: a.skipped + b.skipped, todo: a.todo + b.todo,
  };
}
