import { setTimeout as delay } from 'node:timers/promises';

export interface RetryOptions {
  /** Attempts in all, the first one included (1 = no retry). */
  maxAttempts: number;
  /** The backoff cap before the first retry; it doubles with each further retry. */
  baseDelayMs: number;
  /** Upper bound for every wait, a server's Retry-After included. */
  maxDelayMs: number;
  isRetryable: (error: unknown) => boolean;
  /** The wait a server asked for (Retry-After), used instead of the jittered backoff. */
  retryAfterMs?: (error: unknown) => number | undefined;
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1), as Math.random. */
  random?: () => number;
  /** Stops the loop: no further attempt starts, a pending wait ends at once. */
  signal?: AbortSignal;
}

/**
 * Calls `fn` until it succeeds, with exponential backoff and full jitter between attempts
 * (`random() * min(maxDelayMs, baseDelayMs * 2^(attempt - 1))`, as in AWS's "Exponential Backoff
 * And Jitter"). A non-retryable error, or the error of the last attempt, is thrown unchanged. On
 * abort the signal's reason is thrown, as `fetch` and `timers/promises` do.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new RangeError('maxAttempts must be an integer of at least 1');
  }
  const { signal } = options;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, { signal }));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      signal?.throwIfAborted();
      if (attempt >= options.maxAttempts || !options.isRetryable(error)) throw error;
      const asked = options.retryAfterMs?.(error);
      const wait =
        asked === undefined
          ? random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))
          : Math.min(Math.max(asked, 0), options.maxDelayMs);
      await untilAborted(sleep(wait), signal);
    }
  }
}

/**
 * Parses an HTTP `Retry-After` value, either delay-seconds or an HTTP date, into milliseconds
 * from `now`. A date in the past gives 0; anything unparsable gives undefined.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // An HTTP date starts with the day's name; Date.parse would also read '-1' as a year.
  if (!/^[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(at - now, 0);
}

/** Thrown by `withAttemptTimeout` when its deadline passed first. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Attempt timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/**
 * Runs one attempt with its own deadline. `fn` gets a signal that aborts when `timeoutMs` passes
 * (then AttemptTimeoutError is thrown) or when `parent` aborts (then the parent's reason is
 * thrown). The result is raced against that signal, so an `fn` that ignores it cannot hang.
 */
export async function withAttemptTimeout<T>(
  timeoutMs: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  parent?.throwIfAborted();
  const controller = new AbortController();
  const timeout = new AttemptTimeoutError(timeoutMs);
  const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
  const onParentAbort = () => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  try {
    return await untilAborted(fn(controller.signal), controller.signal);
  } catch (error) {
    if (controller.signal.reason === timeout) throw timeout;
    if (parent?.aborted) throw parent.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
