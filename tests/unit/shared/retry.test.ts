import { describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  parseRetryAfter,
  type RetryOptions,
  withAttemptTimeout,
  withRetries,
} from '../../../lambdas/shared/retry.ts';

class Transient extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('transient');
  }
}

/** Records each wait instead of waiting. */
const recorder = () => {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
};

const options = (overrides: Partial<RetryOptions> = {}): RetryOptions => ({
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  isRetryable: (error) => error instanceof Transient,
  random: () => 0.5,
  ...overrides,
});

/** Fails with the given errors in turn, then answers 'ok'. */
const failing = (...errors: unknown[]) => {
  const attempts: number[] = [];
  const fn = async (attempt: number) => {
    attempts.push(attempt);
    const error = errors[attempt - 1];
    if (error !== undefined) throw error;
    return 'ok';
  };
  return { attempts, fn };
};

describe('withRetries', () => {
  it('returns the first success without waiting', async () => {
    // Prepare
    const { sleeps, sleep } = recorder();
    const { attempts, fn } = failing();

    // Act
    const result = await withRetries(fn, options({ sleep }));

    // Assess
    expect(result).toBe('ok');
    expect(attempts).toEqual([1]);
    expect(sleeps).toEqual([]);
  });

  it('backs off exponentially with full jitter, capped at maxDelayMs', async () => {
    // Prepare
    const { sleeps, sleep } = recorder();
    const { attempts, fn } = failing(...Array.from({ length: 5 }, () => new Transient()));

    // Act
    const result = withRetries(fn, options({ maxAttempts: 6, sleep, random: () => 0.5 }));

    // Assess: 0.5 * min(1000, 100 * 2^(n-1)) for n = 1..5
    await expect(result).resolves.toBe('ok');
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sleeps).toEqual([50, 100, 200, 400, 500]);
  });

  it.each([
    { random: 0, expected: [0, 0] },
    { random: 0.999, expected: [99.9, 199.8] },
  ])('scales the whole window by random() = $random', async ({ random, expected }) => {
    // Prepare
    const { sleeps, sleep } = recorder();
    const { fn } = failing(new Transient(), new Transient());

    // Act
    await withRetries(fn, options({ sleep, random: () => random }));

    // Assess
    expect(sleeps).toEqual(expected);
  });

  it('throws the last error after maxAttempts', async () => {
    // Prepare
    const { sleeps, sleep } = recorder();
    const last = new Transient();
    const { attempts, fn } = failing(new Transient(), new Transient(), last);

    // Act
    const result = withRetries(fn, options({ maxAttempts: 3, sleep }));

    // Assess
    await expect(result).rejects.toBe(last);
    expect(attempts).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([50, 100]);
  });

  it('throws a non-retryable error at once', async () => {
    // Prepare
    const { sleeps, sleep } = recorder();
    const fatal = new Error('validation');
    const { attempts, fn } = failing(new Transient(), fatal);

    // Act
    const result = withRetries(fn, options({ sleep }));

    // Assess
    await expect(result).rejects.toBe(fatal);
    expect(attempts).toEqual([1, 2]);
    expect(sleeps).toEqual([50]);
  });

  it('waits what the server asked for instead of the backoff, capped at maxDelayMs', async () => {
    // Prepare
    const { sleeps, sleep } = recorder();
    const { fn } = failing(new Transient(700), new Transient(5_000), new Transient(), new Transient(-3));

    // Act
    await withRetries(
      fn,
      options({
        sleep,
        retryAfterMs: (error) => (error instanceof Transient ? error.retryAfterMs : undefined),
      }),
    );

    // Assess: 700 as asked, 5000 capped, no hint -> 0.5 * 400, a negative hint -> 0
    expect(sleeps).toEqual([700, 1_000, 200, 0]);
  });

  it('makes one attempt when maxAttempts is 1', async () => {
    // Prepare
    const { fn, attempts } = failing(new Transient());

    // Act
    const result = withRetries(fn, options({ maxAttempts: 1 }));

    // Assess
    await expect(result).rejects.toBeInstanceOf(Transient);
    expect(attempts).toEqual([1]);
  });

  it.each([0, 1.5, Number.NaN])('rejects maxAttempts = %s', async (maxAttempts) => {
    // Act
    const result = withRetries(async () => 'ok', options({ maxAttempts }));

    // Assess
    await expect(result).rejects.toThrow(RangeError);
  });

  it('does not start when the signal is already aborted', async () => {
    // Prepare
    const { fn, attempts } = failing();
    const reason = new Error('cancelled');

    // Act
    const result = withRetries(fn, options({ signal: AbortSignal.abort(reason) }));

    // Assess
    await expect(result).rejects.toBe(reason);
    expect(attempts).toEqual([]);
  });

  it('stops after an attempt that failed because of the abort', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const attempts: number[] = [];
    const fn = async (attempt: number) => {
      attempts.push(attempt);
      controller.abort(reason);
      throw new Transient();
    };

    // Act
    const result = withRetries(fn, options({ signal: controller.signal, sleep: async () => {} }));

    // Assess
    await expect(result).rejects.toBe(reason);
    expect(attempts).toEqual([1]);
  });

  it('ends a pending wait as soon as the signal aborts', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const { fn, attempts } = failing(new Transient(), new Transient());
    const sleep = (_ms: number) => {
      setImmediate(() => controller.abort(reason));
      return new Promise<void>(() => {}); // a wait that never ends by itself
    };

    // Act
    const result = withRetries(fn, options({ signal: controller.signal, sleep }));

    // Assess
    await expect(result).rejects.toBe(reason);
    expect(attempts).toEqual([1]);
  });

  it('ends the default (real) sleep on abort too', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const { fn, attempts } = failing(new Transient());
    setTimeout(() => controller.abort(reason), 20);
    const started = Date.now();

    // Act
    const result = withRetries(
      fn,
      options({ signal: controller.signal, baseDelayMs: 60_000, maxDelayMs: 60_000 }),
    );

    // Assess
    await expect(result).rejects.toBe(reason);
    expect(attempts).toEqual([1]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    { value: '3', expected: 3_000 },
    { value: '0', expected: 0 },
    { value: ' 1.5 ', expected: 1_500 },
    { value: 'Wed, 01 Jan 2025 00:00:07 GMT', expected: 7_000 },
    { value: 'Tue, 31 Dec 2024 23:59:00 GMT', expected: 0 },
    { value: 'soon', expected: undefined },
    { value: '-1', expected: undefined },
    { value: '', expected: undefined },
    { value: null, expected: undefined },
    { value: undefined, expected: undefined },
  ])('reads $value as $expected ms', ({ value, expected }) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('withAttemptTimeout', () => {
  it('returns the result of a fast attempt', async () => {
    // Act
    const result = await withAttemptTimeout(1_000, undefined, async () => 'ok');

    // Assess
    expect(result).toBe('ok');
  });

  it('aborts the attempt and throws AttemptTimeoutError after the deadline', async () => {
    // Prepare
    let seen: AbortSignal | undefined;
    const slow = (signal: AbortSignal) => {
      seen = signal;
      return new Promise<never>(() => {}); // ignores the signal on purpose
    };

    // Act
    const result = withAttemptTimeout(20, undefined, slow);

    // Assess
    await expect(result).rejects.toBeInstanceOf(AttemptTimeoutError);
    await expect(result).rejects.toMatchObject({ timeoutMs: 20 });
    expect(seen?.aborted).toBe(true);
  });

  it("throws the parent's reason when the parent aborts first", async () => {
    // Prepare
    const parent = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => parent.abort(reason), 10);

    // Act
    const result = withAttemptTimeout(5_000, parent.signal, (signal) => delayUntilAborted(signal));

    // Assess
    await expect(result).rejects.toBe(reason);
  });

  it('passes the attempt error through when neither aborted', async () => {
    // Prepare
    const failure = new Error('boom');

    // Act
    const result = withAttemptTimeout(1_000, undefined, async () => {
      throw failure;
    });

    // Assess
    await expect(result).rejects.toBe(failure);
  });
});

function delayUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
}
