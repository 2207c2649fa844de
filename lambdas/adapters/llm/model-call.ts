import { withAttemptTimeout, withRetries } from '../../shared/retry.ts';

// Both providers throttle in bursts: start at half a second, never wait more than 20 s at once.
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

export interface ModelCallPolicy {
  timeoutMs: number;
  maxAttempts: number;
  isRetryable: (error: unknown) => boolean;
  retryAfterMs?: (error: unknown) => number | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
}

/**
 * One model call the way every provider adapter makes it: each attempt under its own timeout,
 * retries with full-jitter backoff (honouring Retry-After), the caller's abort passed through
 * unchanged, and anything else turned into the adapter's error after the last attempt.
 */
export async function callModel<T>(
  signal: AbortSignal | undefined,
  policy: ModelCallPolicy,
  send: (attemptSignal: AbortSignal) => Promise<T>,
  toError: (error: unknown, attempts: number) => Error,
): Promise<T> {
  let attempts = 0;
  try {
    return await withRetries(
      (attempt) => {
        attempts = attempt;
        return withAttemptTimeout(policy.timeoutMs, signal, send);
      },
      {
        maxAttempts: policy.maxAttempts,
        baseDelayMs: BASE_DELAY_MS,
        maxDelayMs: MAX_DELAY_MS,
        isRetryable: policy.isRetryable,
        ...(policy.retryAfterMs ? { retryAfterMs: policy.retryAfterMs } : {}),
        ...(policy.sleep ? { sleep: policy.sleep } : {}),
        ...(policy.random ? { random: policy.random } : {}),
        ...(signal ? { signal } : {}),
      },
    );
  } catch (error) {
    // The caller's own abort is not a provider failure: its reason goes back unchanged.
    if (signal?.aborted) throw signal.reason;
    throw toError(error, attempts);
  }
}
