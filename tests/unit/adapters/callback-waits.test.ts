import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CallbackWait,
  CallbackWaits,
  type WaitOutcome,
} from '../../../lambdas/adapters/local/step-functions/callback-waits.ts';

describe('CallbackWaits', () => {
  let settled: [CallbackWait, WaitOutcome][];
  let waits: CallbackWaits;

  beforeEach(() => {
    vi.useFakeTimers();
    settled = [];
    waits = new CallbackWaits((wait, outcome) => settled.push([wait, outcome]));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const wait = (extra: Partial<CallbackWait> = {}) => ({ token: 't1', runId: 'r', key: 'Ask#1', ...extra });

  it('resolves with the success output and records it first', async () => {
    // Prepare
    const result = waits.wait(wait(), undefined);

    // Act
    const done = waits.settle('t1', { status: 'succeeded', result: { ok: 1 } });

    // Assess
    expect(done).toBe(true);
    await expect(result).resolves.toEqual({ ok: 1 });
    expect(settled).toEqual([[wait(), { status: 'succeeded', result: { ok: 1 } }]]);
    expect(waits.settle('t1', { status: 'succeeded', result: 2 })).toBe(false);
  });

  it('rejects with an error named as the failure, its message the cause', async () => {
    // Prepare
    const result = waits.wait(wait(), undefined);

    // Act
    waits.settle('t1', { status: 'failed', error: 'Declined', cause: 'no' });

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'Declined', message: 'no' });
  });

  it('times out after HeartbeatSeconds without a heartbeat, kills the task and marks the token timed out', async () => {
    // Prepare
    const kill = vi.fn();
    const result = waits.wait(wait({ heartbeatSeconds: 10, kill }), 100);
    const failed = expect(result).rejects.toMatchObject({ name: 'States.HeartbeatTimeout' });

    // Act
    await vi.advanceTimersByTimeAsync(10_000);

    // Assess
    await failed;
    expect(kill).toHaveBeenCalledOnce();
    expect(settled[0]?.[1]).toMatchObject({
      status: 'failed',
      error: 'States.HeartbeatTimeout',
      timedOut: true,
    });
    expect(waits.has('t1')).toBe(false);
  });

  it('restarts the heartbeat clock on each heartbeat, up to TimeoutSeconds', async () => {
    // Prepare
    const result = waits.wait(wait({ heartbeatSeconds: 10 }), 30);
    const failed = expect(result).rejects.toMatchObject({ name: 'States.Timeout' });

    // Act
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(9_000);
      expect(waits.heartbeat('t1')).toBe(true);
    }
    await vi.advanceTimersByTimeAsync(3_100);

    // Assess
    await failed;
    expect(settled[0]?.[1]).toMatchObject({ error: 'States.Timeout', timedOut: true });
  });

  it('drops a wait without recording anything', async () => {
    // Prepare
    const result = waits.wait(wait({ heartbeatSeconds: 1 }), undefined);
    const aborted = expect(result).rejects.toMatchObject({ name: 'States.Aborted' });

    // Act
    waits.drop('t1');
    await vi.advanceTimersByTimeAsync(5_000);

    // Assess
    await aborted;
    expect(settled).toEqual([]);
    expect(waits.heartbeat('t1')).toBe(false);
  });
});
