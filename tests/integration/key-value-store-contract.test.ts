import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/aws/dynamodb-store.ts';
import { TABLES } from '../../lambdas/config/tables.ts';
import {
  ConditionFailedError,
  type Item,
  type KeyValueStore,
  type QueryOptions,
  type TableName,
} from '../../lambdas/ports/key-value-store.ts';
import {
  ensureTables,
  type RunningDynalite,
  startDynalite,
} from '../../scripts/local-stack/dynalite-server.ts';
import { ManualClock, MemoryStore } from '../support/memory-store.ts';

/**
 * One suite, two implementations: what MemoryStore does in unit tests is what DynamoDbStore does
 * against dynalite. Each test works in its own partition (`ns`), so the dynalite tables are shared
 * across tests without cleanup. Both stores read the same manual clock, which decides expiry.
 */
interface Subject {
  name: string;
  open(now: () => number): Promise<KeyValueStore>;
  close(): Promise<void>;
}

const tableNames = Object.fromEntries(TABLES.map((t) => [t.name, `contract-${t.name}`])) as Record<
  TableName,
  string
>;

let dynalite: RunningDynalite | undefined;

const subjects: Subject[] = [
  {
    name: 'MemoryStore',
    open: async (now) => new MemoryStore({ now }),
    close: async () => undefined,
  },
  {
    name: 'DynamoDbStore on dynalite',
    open: async (now) => {
      dynalite = await startDynalite(undefined);
      await ensureTables(dynalite.endpoint, tableNames);
      return new DynamoDbStore({ tableNames, endpoint: dynalite.endpoint, now });
    },
    close: async () => {
      await dynalite?.stop();
      dynalite = undefined;
    },
  },
];

describe.each(subjects)('KeyValueStore contract: $name', (subject) => {
  let store: KeyValueStore;
  let clock: ManualClock;
  let ns: string;

  beforeAll(async () => {
    store = await subject.open(() => clock.now());
  });

  afterAll(async () => {
    await subject.close();
  });

  beforeEach(() => {
    clock = new ManualClock(1_800_000_000);
    ns = `T#${randomUUID()}`;
  });

  const key = (sk = 'A') => ({ pk: ns, sk });
  const collectPages = async (options: QueryOptions) => {
    const pages: Item[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query('projects', ns, { ...options, ...(cursor ? { cursor } : {}) });
      pages.push(page.items);
      cursor = page.cursor;
    } while (cursor && pages.length < 50);
    return pages;
  };
  const sortKeys = (items: Item[]) => items.map((item) => item.sk);

  describe('get, put, delete', () => {
    it('returns undefined for a key that was never written', async () => {
      // Act
      const item = await store.get('users', key());

      // Assess
      expect(item).toBeUndefined();
    });

    it('round-trips strings, numbers, booleans, lists and nested maps', async () => {
      // Prepare
      const item = {
        ...key(),
        name: 'Ada',
        count: 42,
        ratio: 0.5,
        active: false,
        tags: ['x', 'y'],
        data: { messageCount: 3, seen: { at: '2026-01-01T00:00:00.000Z' } },
      };

      // Act
      await store.put('users', item);

      // Assess
      expect(await store.get('users', key())).toStrictEqual(item);
    });

    it('drops attributes whose value is undefined', async () => {
      // Act
      await store.put('users', { ...key(), displayName: undefined, userId: 7 });

      // Assess
      const stored = await store.get('users', key());
      expect(Object.keys(stored ?? {}).sort()).toEqual(['pk', 'sk', 'userId']);
    });

    it('replaces the whole item on an unconditional put', async () => {
      // Prepare
      await store.put('users', { ...key(), a: 1, b: 2 });

      // Act
      await store.put('users', { ...key(), a: 10 });

      // Assess
      expect(await store.get('users', key())).toStrictEqual({ ...key(), a: 10 });
    });

    it('keeps tables apart: the same key in two tables is two items', async () => {
      // Act
      await store.put('users', { ...key(), from: 'users' });
      await store.put('sessions', { ...key(), from: 'sessions' });

      // Assess
      expect((await store.get('users', key()))?.from).toBe('users');
      expect((await store.get('sessions', key()))?.from).toBe('sessions');
      expect(await store.get('dedup', key())).toBeUndefined();
    });

    it('deletes an item, and deleting a missing item is not an error', async () => {
      // Prepare
      await store.put('users', { ...key(), a: 1 });

      // Act
      await store.delete('users', key());
      await store.delete('users', key('never-written'));

      // Assess
      expect(await store.get('users', key())).toBeUndefined();
    });

    it.each([
      { what: 'an empty sort key', item: () => ({ pk: ns, sk: '' }) },
      { what: 'an empty partition key', item: () => ({ pk: '', sk: 'A' }) },
    ])('refuses to put an item with $what', async ({ item }) => {
      // Act
      const writing = store.put('users', item());

      // Assess
      await expect(writing).rejects.toThrow();
      expect(await store.query('users', ns)).toEqual({ items: [] });
    });

    it('hands out copies: changing a returned item does not change the stored one', async () => {
      // Prepare
      await store.put('users', { ...key(), nested: { n: 1 } });
      const first = await store.get('users', key());

      // Act
      (first?.nested as { n: number }).n = 99;

      // Assess
      expect((await store.get('users', key()))?.nested).toEqual({ n: 1 });
    });
  });

  describe('expiry: an item whose expiresAt has passed is absent', () => {
    it.each([
      { when: 'an hour ago', offset: -3600, live: false },
      { when: 'one second ago', offset: -1, live: false },
      { when: 'this very second', offset: 0, live: true },
      { when: 'in an hour', offset: 3600, live: true },
    ])('get of an item expiring $when is live: $live', async ({ offset, live }) => {
      // Prepare
      await store.put('dedup', { ...key(), expiresAt: clock.now() + offset, claimedAt: 1 });

      // Act
      const item = await store.get('dedup', key());

      // Assess
      expect(item !== undefined).toBe(live);
    });

    it('turns a live item absent once the clock passes its expiresAt', async () => {
      // Prepare
      await store.put('dedup', { ...key(), expiresAt: clock.now() + 60 });
      expect(await store.get('dedup', key())).toBeDefined();

      // Act
      clock.advance(61);

      // Assess
      expect(await store.get('dedup', key())).toBeUndefined();
    });

    it('leaves expired items out of a query', async () => {
      // Prepare
      await store.put('projects', { ...key('A'), expiresAt: clock.now() - 10 });
      await store.put('projects', { ...key('B') });
      await store.put('projects', { ...key('C'), expiresAt: clock.now() + 10 });

      // Act
      const page = await store.query('projects', ns);

      // Assess
      expect(sortKeys(page.items)).toEqual(['B', 'C']);
    });

    it('lets ifAbsent overwrite an expired item', async () => {
      // Prepare
      await store.put('dedup', { ...key(), expiresAt: clock.now() - 1, owner: 'old' });

      // Act
      await store.put('dedup', { ...key(), expiresAt: clock.now() + 100, owner: 'new' }, { ifAbsent: true });

      // Assess
      expect((await store.get('dedup', key()))?.owner).toBe('new');
    });

    it('fails ifVersion against an expired item, as against any absent item', async () => {
      // Prepare
      await store.put('sessions', { ...key(), version: 1, expiresAt: clock.now() - 1 });

      // Act
      const writing = store.put('sessions', { ...key(), version: 2 }, { ifVersion: 1 });

      // Assess
      await expect(writing).rejects.toBeInstanceOf(ConditionFailedError);
      expect(await store.get('sessions', key())).toBeUndefined();
    });

    it('starts an increment of an expired item from nothing, giving a live item', async () => {
      // Prepare
      await store.put('usage', { ...key(), tokens: 500, expiresAt: clock.now() - 1 });

      // Act
      await store.increment('usage', key(), { tokens: 7 });

      // Assess
      const item = await store.get('usage', key());
      expect(item?.tokens).toBe(7);
    });

    it('does not let expired items take the places of a limited page', async () => {
      // Prepare
      await store.put('projects', { ...key('A'), expiresAt: clock.now() - 1 });
      await store.put('projects', { ...key('B') });

      // Act
      const page = await store.query('projects', ns, { limit: 1 });

      // Assess
      expect(sortKeys(page.items)).toEqual(['B']);
    });
  });

  describe('conditional writes', () => {
    it('writes with ifAbsent when no item has the key', async () => {
      // Act
      await store.put('dedup', { ...key(), claimedAt: 1 }, { ifAbsent: true });

      // Assess
      expect((await store.get('dedup', key()))?.claimedAt).toBe(1);
    });

    it('refuses ifAbsent over a live item with ConditionFailedError and keeps the first item', async () => {
      // Prepare
      await store.put('dedup', { ...key(), owner: 'first', expiresAt: clock.now() + 100 });

      // Act
      const writing = store.put('dedup', { ...key(), owner: 'second' }, { ifAbsent: true });

      // Assess
      const error = await writing.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConditionFailedError);
      expect(error).toMatchObject({ table: 'dedup', key: key() });
      expect((await store.get('dedup', key()))?.owner).toBe('first');
    });

    it('lets exactly one of ten concurrent ifAbsent writes win', async () => {
      // Act
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.put('dedup', { ...key(), owner: i }, { ifAbsent: true })),
      );

      // Assess
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r) => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers.every((r) => r.reason instanceof ConditionFailedError)).toBe(true);
    });

    it('writes with ifVersion when the stored version matches', async () => {
      // Prepare
      await store.put('sessions', { ...key(), version: 3, value: 'a' });

      // Act
      await store.put('sessions', { ...key(), version: 4, value: 'b' }, { ifVersion: 3 });

      // Assess
      expect(await store.get('sessions', key())).toMatchObject({ version: 4, value: 'b' });
    });

    it.each([
      { stored: { version: 2 }, why: 'another version is stored' },
      { stored: {}, why: 'the stored item has no version' },
      { stored: undefined, why: 'no item is stored' },
    ])('refuses ifVersion when $why', async ({ stored }) => {
      // Prepare
      if (stored) await store.put('sessions', { ...key(), ...stored, value: 'kept' });

      // Act
      const writing = store.put('sessions', { ...key(), version: 4, value: 'new' }, { ifVersion: 3 });

      // Assess
      await expect(writing).rejects.toBeInstanceOf(ConditionFailedError);
      expect((await store.get('sessions', key()))?.value).toBe(stored ? 'kept' : undefined);
    });
  });

  describe('query', () => {
    beforeEach(async () => {
      for (const sk of ['B#2', 'A#1', 'B#1', 'C#1', 'A#2']) await store.put('projects', { ...key(sk), sk });
      await store.put('projects', { pk: `${ns}-other`, sk: 'A#0' });
    });

    it('returns the partition in ascending sort-key order and nothing of other partitions', async () => {
      // Act
      const page = await store.query('projects', ns);

      // Assess
      expect(sortKeys(page.items)).toEqual(['A#1', 'A#2', 'B#1', 'B#2', 'C#1']);
      expect(page.cursor).toBeUndefined();
    });

    it.each([
      { options: { skBeginsWith: 'B#' }, expected: ['B#1', 'B#2'] },
      { options: { descending: true }, expected: ['C#1', 'B#2', 'B#1', 'A#2', 'A#1'] },
      { options: { skBeginsWith: 'A#', descending: true }, expected: ['A#2', 'A#1'] },
      { options: { skBeginsWith: 'Z' }, expected: [] },
    ])('honours $options', async ({ options, expected }) => {
      // Act
      const page = await store.query('projects', ns, options);

      // Assess
      expect(sortKeys(page.items)).toEqual(expected);
    });

    it('returns an empty page for a partition with no items', async () => {
      // Act
      const page = await store.query('projects', `${ns}-empty`);

      // Assess
      expect(page.items).toEqual([]);
      expect(page.cursor).toBeUndefined();
    });

    it.each([
      { options: { limit: 2 }, expected: ['A#1', 'A#2', 'B#1', 'B#2', 'C#1'] },
      { options: { limit: 2, descending: true }, expected: ['C#1', 'B#2', 'B#1', 'A#2', 'A#1'] },
      { options: { limit: 1, skBeginsWith: 'B#' }, expected: ['B#1', 'B#2'] },
      { options: { limit: 5 }, expected: ['A#1', 'A#2', 'B#1', 'B#2', 'C#1'] },
    ])('pages through every item once with $options', async ({ options, expected }) => {
      // Act
      const pages = await collectPages(options);

      // Assess
      expect(pages.flat().map((item) => item.sk)).toEqual(expected);
      expect(pages.every((items) => items.length <= options.limit)).toBe(true);
      expect(pages[0]).toHaveLength(Math.min(options.limit, expected.length));
    });

    it('pages past expired items without losing or repeating live ones', async () => {
      // Prepare
      await store.put('projects', { ...key('A#1'), expiresAt: clock.now() - 1 });
      await store.put('projects', { ...key('B#2'), expiresAt: clock.now() - 1 });

      // Act
      const pages = await collectPages({ limit: 2 });

      // Assess
      expect(pages.flat().map((item) => item.sk)).toEqual(['A#2', 'B#1', 'C#1']);
      expect(pages.every((items) => items.length <= 2)).toBe(true);
    });

    it('orders sort keys by their UTF-8 bytes, as DynamoDB does', async () => {
      // Prepare: U+FFFD is EF BF BD in UTF-8, the emoji F0 9F 98 80, but in UTF-16 the emoji
      // (a surrogate pair starting D83D) sorts first.
      for (const sk of ['\u{1F600}', '\uFFFD', 'a', 'Z'])
        await store.put('projects', { pk: `${ns}-utf8`, sk });

      // Act
      const page = await store.query('projects', `${ns}-utf8`);

      // Assess
      expect(sortKeys(page.items)).toEqual(['Z', 'a', '\uFFFD', '\u{1F600}']);
    });
  });

  describe('increment', () => {
    it('creates the item with the deltas when it is absent', async () => {
      // Act
      await store.increment('usage', key(), { inputTokens: 120, outputTokens: 30 });

      // Assess
      expect(await store.get('usage', key())).toStrictEqual({ ...key(), inputTokens: 120, outputTokens: 30 });
    });

    it('adds to existing numbers, starts missing ones at zero and keeps other attributes', async () => {
      // Prepare
      await store.put('usage', { ...key(), inputTokens: 100, model: 'm1' });

      // Act
      await store.increment('usage', key(), { inputTokens: 20, costMicros: 5 });

      // Assess
      expect(await store.get('usage', key())).toStrictEqual({
        ...key(),
        inputTokens: 120,
        costMicros: 5,
        model: 'm1',
      });
    });

    it('accepts negative deltas', async () => {
      // Prepare
      await store.increment('usage', key(), { balance: 10 });

      // Act
      await store.increment('usage', key(), { balance: -4 });

      // Assess
      expect((await store.get('usage', key()))?.balance).toBe(6);
    });

    it('loses no update among ten concurrent increments', async () => {
      // Act
      await Promise.all(Array.from({ length: 10 }, () => store.increment('usage', key(), { calls: 1 })));

      // Assess
      expect((await store.get('usage', key()))?.calls).toBe(10);
    });

    it('does nothing for empty deltas, not even create the item', async () => {
      // Act
      await store.increment('usage', key(), {});

      // Assess
      expect(await store.get('usage', key())).toBeUndefined();
    });
  });
});
