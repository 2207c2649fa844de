import { beforeEach, describe, expect, it } from 'vitest';
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
  it('lets the first queue message of an update win and calls another message with it a duplicate', async () => {
    // Act
    const first = await dedup.claim(42, 'msg-a');
    const resent = await dedup.claim(42, 'msg-b');

    // Assess
    expect([first, resent]).toEqual(['first', 'duplicate']);
  });

  it('lets the same queue message in again until it is finished (a crash or retry mid-way)', async () => {
    // Act
    const first = await dedup.claim(42, 'msg-a');
    const again = await dedup.claim(42, 'msg-a');
    await dedup.finish(42);
    const afterFinish = await dedup.claim(42, 'msg-a');

    // Assess
    expect([first, again, afterFinish]).toEqual(['first', 'redelivery', 'duplicate']);
  });

  it('claims different updates and different bots independently', async () => {
    // Prepare
    const otherBot = new UpdateDeduplicator(store, BOT_ID + 1, TTL, clock.now);

    // Act
    const results = [
      await dedup.claim(1, 'm1'),
      await dedup.claim(2, 'm2'),
      await otherBot.claim(1, 'm3'),
      await dedup.claim(1, 'm4'),
    ];

    // Assess
    expect(results).toEqual(['first', 'first', 'first', 'duplicate']);
  });

  it('keeps a claim for the whole TTL and forgets it after', async () => {
    // Prepare
    await dedup.claim(42, 'msg-a');

    // Act
    clock.advance(TTL - 1);
    const within = await dedup.claim(42, 'msg-b');
    clock.advance(2);
    const after = await dedup.claim(42, 'msg-b');

    // Assess
    expect([within, after]).toEqual(['duplicate', 'first']);
  });

  it('stores the update id and the queue message id, nothing about the person', async () => {
    // Act
    await dedup.claim(42, 'msg-a');

    // Assess
    const [item] = store.dump('dedup');
    expect(Object.keys(item ?? {}).sort()).toEqual(['claimedAt', 'deliveryId', 'expiresAt', 'pk', 'sk']);
    expect(item).toMatchObject({
      pk: `UPDATE#${BOT_ID}#42`,
      deliveryId: 'msg-a',
      expiresAt: 1_750_000_000 + TTL,
    });
  });

  it('counts failed attempts on the claim', async () => {
    // Prepare
    await dedup.claim(42, 'msg-a');

    // Act
    const counts = [
      await dedup.recordFailure(42),
      await dedup.recordFailure(42),
      await dedup.recordFailure(42),
    ];

    // Assess
    expect(counts).toEqual([1, 2, 3]);
    expect(await dedup.claim(42, 'msg-a')).toBe('redelivery');
  });

  it('lets exactly one of many concurrent first claims win', async () => {
    // Act
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => dedup.claim(7, `m${i}`)));

    // Assess
    expect(results.filter((r) => r === 'first')).toHaveLength(1);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(9);
  });
});
