// One retry function for retriable errors: exponential backoff with jitter, a retry budget, and a way to bail out.

import { OxbowError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (so `retries: 5` means at most 6 calls). Default 5. */
  retries?: number;
  /** Wait before the first retry, in ms. Default 300. */
  initialDelayMs?: number;
  /** Upper bound of one wait, in ms. Default 30,000. */
  maxDelayMs?: number;
  /** Growth of the wait per retry. Default 2. */
  factor?: number;
  /** Each wait is spread by ±jitter of itself, so clients that failed together do not retry together. 0..1, default 0.2. */
  jitter?: number;
  /** Which errors are worth another try; default: OxbowError with `retriable`. */
  isRetriable?: (err: unknown) => boolean;
  /** Called before each wait (for logging or metrics). */
  onRetry?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
  /** Stops waiting and rethrows the last error when aborted. */
  signal?: AbortSignal;
  /** Also stop once a retry would start this many ms after the first call (for "keep trying for ten minutes"). */
  budgetMs?: number;
  /**
   * Asked after each retriable failure: true when the failed attempt got somewhere (a job that wrote a checkpoint before
   * it failed). The retries, their waits and the time budget then start over, so a long run is not worn down by
   * failures far apart.
   */
  progressed?: () => boolean;
  /** For tests: a source of [0, 1) numbers, a sleep and a clock. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/**
 * The one retry policy for the archive's storage (HDFS or local files), for reading and writing alike: waits from
 * 200 ms doubling to at most 10 s, 60 retries (about ten minutes). Callers override `retries` (the archiver keeps
 * trying for hours), and add their `signal` and `onRetry`; tests add `sleep`.
 */
export const STORAGE_RETRY: Readonly<RetryOptions> = Object.freeze({ retries: 60, initialDelayMs: 200, maxDelayMs: 10_000 });

export interface RetryContext {
  /** 0 on the first call, 1 on the first retry, ... */
  attempt: number;
  /** Stop retrying and fail with `error` at once, whatever its `retriable` says. */
  bail: (error: unknown) => never;
}

class Bail {
  constructor(readonly error: unknown) {}
}

/** Whether `err` may pass if tried again (an OxbowError marked retriable: storage or Kafka out of reach, not serving yet). */
export function isRetriableError(err: unknown): boolean {
  return err instanceof OxbowError && err.retriable;
}

/** The wait before retry number `attempt` (1-based): initial * factor^(attempt-1), capped, then jittered. */
export function backoffDelay(attempt: number, options: RetryOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 300;
  const max = options.maxDelayMs ?? 30_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.2;
  const base = Math.min(max, initial * factor ** (attempt - 1));
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * random())));
}

export async function retry<T>(fn: (ctx: RetryContext) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 5;
  const isRetriable = options.isRetriable ?? isRetriableError;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const budget = (): number => (options.budgetMs === undefined ? Infinity : now() + options.budgetMs);
  let deadline = budget();
  const bail = (error: unknown): never => {
    throw new Bail(error);
  };
  // Failures in a row without progress: what the retries, the waits and the budget count.
  let failures = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn({ attempt, bail });
    } catch (err) {
      if (err instanceof Bail) throw err.error;
      if (!isRetriable(err) || options.signal?.aborted) throw err;
      if (options.progressed?.()) {
        failures = 0;
        deadline = budget();
      }
      if (failures >= retries) throw err;
      failures++;
      const delayMs = backoffDelay(failures, options, options.random);
      if (now() + delayMs > deadline) throw err;
      options.onRetry?.({ error: err, attempt: failures, delayMs });
      try {
        await sleep(delayMs, options.signal);
      } catch {
        // Aborted while waiting: the caller wants the real failure, not an AbortError.
        throw err;
      }
    }
  }
}

/** Waits `ms`; rejects with the signal's reason as soon as it is aborted. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
