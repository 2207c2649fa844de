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
  /** Whether an attempt's error says the provider is throttling us (Bedrock ThrottlingException, HTTP 429). */
  isThrottled?: (error: unknown) => boolean;
  /** Told of every throttled attempt, retried or not: an operator counts them (ModelThrottled). */
  onThrottled?: (() => void) | undefined;
}

/**
 * One model call the way every provider adapter makes it: each attempt under its own timeout,
 * retries with full-jitter backoff (honouring Retry-After), the caller's abort passed through
 * unchanged, and anything else turned into the adapter's error after the last attempt. The
 * caller's signal (the invocation's deadline, model-deadline.ts) also ends the retries: no
 * attempt starts and no backoff wait goes on after it fires.
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
      async (attempt) => {
        attempts = attempt;
        try {
          return await withAttemptTimeout(policy.timeoutMs, signal, send);
        } catch (error) {
          if (policy.isThrottled?.(error)) policy.onThrottled?.();
          throw error;
        }
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
