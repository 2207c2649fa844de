import { describe, expect, it } from 'vitest';
import { callModel, type ModelCallPolicy } from '../../../lambdas/adapters/llm/model-call.ts';

class Throttled extends Error {}

const policy = (overrides: Partial<ModelCallPolicy> = {}): ModelCallPolicy => ({
  timeoutMs: 10_000,
  maxAttempts: 10,
  isRetryable: () => true,
  // Always the longest backoff: 500 ms, 1 s, 2 s, ...
  random: () => 0.999,
  ...overrides,
});

describe('callModel under a deadline', () => {
  it('stops retrying when the deadline signal fires, mid-backoff, with the deadline as the reason', async () => {
    // Prepare: every attempt is throttled; the deadline is 300 ms away
    const deadline = AbortSignal.timeout(300);
    let attempts = 0;
    const started = Date.now();

    // Act
    const error = await callModel(
      deadline,
      policy(),
      async () => {
        attempts += 1;
        throw new Throttled('slow down');
      },
      (e) => new Error(`provider failed: ${String(e)}`),
    ).catch((e: unknown) => e);

    // Assess: one attempt, and the 500 ms backoff cut short at the deadline
    expect(attempts).toBe(1);
    expect(error).toBe(deadline.reason);
    expect(Date.now() - started).toBeLessThan(480);
  });

  it('starts no attempt once the deadline has passed', async () => {
    // Prepare
    const passed = AbortSignal.abort(new Error('deadline'));
    let attempts = 0;

    // Act
    const call = callModel(
      passed,
      policy(),
      async () => {
        attempts += 1;
        return 'answer';
      },
      (e) => e as Error,
    );

    // Assess
    await expect(call).rejects.toThrow('deadline');
    expect(attempts).toBe(0);
  });

  it('reports every throttled attempt, and only those', async () => {
    // Prepare: throttled, then another failure, then throttled, then an answer
    const failures = [new Throttled(), new Error('503'), new Throttled()];
    let throttled = 0;

    // Act
    const answer = await callModel(
      undefined,
      policy({
        sleep: async () => undefined,
        isThrottled: (e) => e instanceof Throttled,
        onThrottled: () => throttled++,
      }),
      async () => {
        const failure = failures.shift();
        if (failure) throw failure;
        return 'answer';
      },
      (e) => e as Error,
    );

    // Assess
    expect(answer).toBe('answer');
    expect(throttled).toBe(2);
  });
});
