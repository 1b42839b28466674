// retry(): backoff growth and cap, jitter bounds, the retry budget, the time budget, progress starting them over, bail,
// non-retriable errors, abort.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, retry } from '../../src/retry.js';
import { NotFoundError, UnavailableError } from '../../src/errors.js';

const noSleep = async () => {};

describe('backoffDelay', () => {
  it('grows by the factor and stops at the cap', () => {
    const opts = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts)), [100, 200, 400, 800, 1000, 1000]);
  });
  it('spreads by ±jitter', () => {
    const opts = { initialDelayMs: 1000, jitter: 0.2 };
    assert.equal(backoffDelay(1, opts, () => 0), 800);
    assert.equal(backoffDelay(1, opts, () => 0.5), 1000);
    assert.equal(backoffDelay(1, opts, () => 0.999999), 1200);
  });
});

describe('retry', () => {
  it('retries retriable errors until success, waiting the backoff each time', async () => {
    const waits: number[] = [];
    const seen: number[] = [];
    const result = await retry(
      async ({ attempt }) => {
        seen.push(attempt);
        if (attempt < 3) throw new UnavailableError('safe mode');
        return 'done';
      },
      { initialDelayMs: 10, jitter: 0, sleep: async (ms) => void waits.push(ms) },
    );
    assert.equal(result, 'done');
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.deepEqual(waits, [10, 20, 40]);
  });

  it('gives up after the retry budget with the last error', async () => {
    let calls = 0;
    await assert.rejects(
      retry(async () => {
        calls++;
        throw new UnavailableError(`try ${calls}`);
      }, { retries: 2, sleep: noSleep }),
      /try 3/,
    );
    assert.equal(calls, 3);
  });

  it('starts the retries, waits and time budget over after an attempt that progressed', async () => {
    let clock = 0;
    const waits: number[] = [];
    let calls = 0;
    // Attempts 3 and 5 got somewhere before failing; the others failed at once. Two retries in a row are allowed.
    const progressedAt = new Set([3, 5]);
    await assert.rejects(
      retry(async () => {
        calls++;
        throw new UnavailableError(`try ${calls}`);
      }, {
        retries: 2, initialDelayMs: 10, jitter: 0, budgetMs: 35,
        progressed: () => progressedAt.has(calls),
        now: () => clock,
        sleep: async (ms) => { waits.push(ms); clock += ms; },
      }),
      /try 7/,
    );
    assert.equal(calls, 7);
    assert.deepEqual(waits, [10, 20, 10, 20, 10, 20]);
    // Without progress, the same policy gives up after its two retries.
    calls = 0;
    await assert.rejects(retry(async () => { calls++; throw new UnavailableError(`try ${calls}`); }, { retries: 2, sleep: noSleep, progressed: () => false }), /try 3/);
  });

  it('with a time budget, stops before a wait would end past it, whatever the retry count', async () => {
    let clock = 0;
    const waits: number[] = [];
    let calls = 0;
    await assert.rejects(
      retry(async () => {
        calls++;
        throw new UnavailableError(`try ${calls}`);
      }, {
        retries: Infinity, budgetMs: 1000, initialDelayMs: 100, factor: 2, jitter: 0, now: () => clock,
        sleep: async (ms) => { waits.push(ms); clock += ms; },
      }),
      /try 4/,
    );
    // 100 + 200 + 400 = 700 ms; the next wait (800) would end at 1500, past the budget.
    assert.deepEqual(waits, [100, 200, 400]);
  });

  it('does not retry a non-retriable error', async () => {
    let calls = 0;
    await assert.rejects(retry(async () => {
      calls++;
      throw new NotFoundError('/x');
    }, { sleep: noSleep }), NotFoundError);
    assert.equal(calls, 1);
  });

  it('bail stops at once with the given error', async () => {
    let calls = 0;
    await assert.rejects(retry(async ({ bail }) => {
      calls++;
      if (calls === 2) bail(new Error('give up'));
      throw new UnavailableError('again');
    }, { sleep: noSleep }), /give up/);
    assert.equal(calls, 2);
  });

  it('an abort during the wait rethrows the real failure', async () => {
    const controller = new AbortController();
    const started = retry(async () => {
      throw new UnavailableError('standby');
    }, { initialDelayMs: 60_000, signal: controller.signal, onRetry: () => controller.abort() });
    await assert.rejects(started, UnavailableError);
  });

  it('reports each retry', async () => {
    const infos: Array<{ attempt: number; delayMs: number }> = [];
    await retry(async ({ attempt }) => {
      if (attempt === 0) throw new UnavailableError('x');
    }, { jitter: 0, initialDelayMs: 5, sleep: noSleep, onRetry: ({ attempt, delayMs }) => void infos.push({ attempt, delayMs }) });
    assert.deepEqual(infos, [{ attempt: 1, delayMs: 5 }]);
  });
});
