import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../../lambdas/domain/api-keys/rate-limiter.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

function setup(limit = { ratePerSecond: 2, burst: 3 }) {
  let now = 1_700_000_000_000;
  const store = new MemoryStore({ now: () => Math.floor(now / 1000) });
  return {
    store,
    buckets: new TokenBuckets(store, limit, () => now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('TokenBuckets', () => {
  it('allows a burst, then refuses with the seconds until the next token', async () => {
    const { buckets } = setup();

    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await buckets.take('key-a'));

    expect(decisions.slice(0, 3).every((d) => d.allowed)).toBe(true);
    expect(decisions[3]).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills with time, and keeps each key apart', async () => {
    const { buckets, advance } = setup();
    for (let i = 0; i < 3; i++) await buckets.take('key-a');

    expect((await buckets.take('key-b')).allowed).toBe(true);
    advance(500);
    expect((await buckets.take('key-a')).allowed).toBe(true);
    expect((await buckets.take('key-a')).allowed).toBe(false);
  });

  it('never gives out more tokens than the bucket holds to concurrent requests', async () => {
    const { buckets } = setup({ ratePerSecond: 0.001, burst: 5 });

    const decisions = await Promise.all(Array.from({ length: 12 }, () => buckets.take('key-a')));

    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
  });

  it('writes nothing for a refused request', async () => {
    const { buckets, store } = setup({ ratePerSecond: 0.001, burst: 1 });
    await buckets.take('key-a');
    const before = JSON.stringify(await store.query('sessions', 'RATE#key-a'));

    await buckets.take('key-a');

    expect(JSON.stringify(await store.query('sessions', 'RATE#key-a'))).toBe(before);
  });
});
