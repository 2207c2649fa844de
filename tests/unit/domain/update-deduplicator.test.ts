import { beforeEach, describe, expect, it, vi } from 'vitest';
import { UpdateDeduplicator } from '../../../lambdas/domain/updates/update-deduplicator.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';

const BOT_ID = 7_000_000_001;
const TTL = 25 * 3600;

let clock: ManualClock;
let store: MemoryStore;
let dedup: UpdateDeduplicator;

beforeEach(() => {
  clock = new ManualClock(1_750_000_000);
  store = new MemoryStore({ now: clock.now });
  dedup = new UpdateDeduplicator(store, BOT_ID, TTL, clock.now);
});

describe('UpdateDeduplicator', () => {
  it('lets the first claim of an update win and refuses the second', async () => {
    // Act
    const first = await dedup.claim(42);
    const second = await dedup.claim(42);

    // Assess
    expect([first, second]).toEqual([true, false]);
  });

  it('claims different updates independently', async () => {
    // Act
    const results = [await dedup.claim(1), await dedup.claim(2), await dedup.claim(1)];

    // Assess
    expect(results).toEqual([true, true, false]);
  });

  it('keeps the claims of two bots apart', async () => {
    // Prepare
    const otherBot = new UpdateDeduplicator(store, BOT_ID + 1, TTL, clock.now);
    await dedup.claim(42);

    // Act
    const claimed = await otherBot.claim(42);

    // Assess
    expect(claimed).toBe(true);
  });

  it('lets exactly one of ten concurrent deliveries claim the update', async () => {
    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => dedup.claim(42)));

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it.each([
    { elapsed: TTL - 1, claimable: false },
    { elapsed: TTL, claimable: false },
    { elapsed: TTL + 1, claimable: true },
    { elapsed: 3 * TTL, claimable: true },
  ])('after $elapsed s the update is claimable again: $claimable', async ({ elapsed, claimable }) => {
    // Prepare
    await dedup.claim(42);

    // Act
    clock.advance(elapsed);
    const claimed = await dedup.claim(42);

    // Assess
    expect(claimed).toBe(claimable);
  });

  it('makes a released update claimable again', async () => {
    // Prepare
    await dedup.claim(42);

    // Act
    await dedup.release(42);

    // Assess
    expect(await dedup.claim(42)).toBe(true);
    expect(await dedup.claim(42)).toBe(false);
  });

  it('stores the claim with expiresAt the ttl ahead, in epoch seconds', async () => {
    // Act
    await dedup.claim(42);

    // Assess
    expect(store.dump('dedup')).toEqual([
      {
        pk: `UPDATE#${BOT_ID}#42`,
        sk: 'CLAIM',
        claimedAt: clock.now(),
        expiresAt: clock.now() + 25 * 3600,
      },
    ]);
  });

  it('lets a store failure through instead of calling it a duplicate', async () => {
    // Prepare
    vi.spyOn(store, 'put').mockRejectedValueOnce(new Error('throttled'));

    // Act
    const claiming = dedup.claim(42);

    // Assess
    await expect(claiming).rejects.toThrow('throttled');
    expect(await dedup.claim(42)).toBe(true);
  });
});
