import { describe, expect, it } from 'vitest';
import { SecretNotFoundError, type SecretStore } from '../../../lambdas/ports/secrets.ts';
import { CachedSecrets } from '../../../lambdas/runtime/cached-secrets.ts';
import { lazy, once } from '../../../lambdas/runtime/lazy.ts';

const TTL_MS = 300_000;

/** A SecretStore that counts reads, can be told to fail and can hold a read open. */
class CountingSecrets implements SecretStore {
  readonly reads: string[] = [];
  readonly values = new Map<string, string>([
    ['bot-token', 'v1'],
    ['webhook-secret', 'w1'],
  ]);
  failuresLeft = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  holdReads(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  releaseReads(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async get(name: string): Promise<string> {
    this.reads.push(name);
    await this.gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('Secrets Manager throttled');
    }
    const value = this.values.get(name);
    if (value === undefined) throw new SecretNotFoundError(name);
    return value;
  }

  async put(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }

  async delete(name: string): Promise<void> {
    this.values.delete(name);
  }
}

const setUp = () => {
  let now = 1_000_000;
  const store = new CountingSecrets();
  const cache = new CachedSecrets(store, TTL_MS, () => now);
  return { store, cache, advance: (ms: number) => (now += ms) };
};

describe('CachedSecrets', () => {
  it('reads the store once for two calls within the TTL', async () => {
    // Prepare
    const { store, cache } = setUp();

    // Act
    const values = [await cache.get('bot-token'), await cache.get('bot-token')];

    // Assess
    expect(values).toEqual(['v1', 'v1']);
    expect(store.reads).toEqual(['bot-token']);
  });

  it.each([
    { elapsed: TTL_MS - 1, reads: 1, value: 'v1' },
    { elapsed: TTL_MS, reads: 2, value: 'v2' },
    { elapsed: 10 * TTL_MS, reads: 2, value: 'v2' },
  ])(
    'after $elapsed ms reads the store $reads time(s) and returns $value',
    async ({ elapsed, reads, value }) => {
      // Prepare
      const { store, cache, advance } = setUp();
      await cache.get('bot-token');
      store.values.set('bot-token', 'v2');

      // Act
      advance(elapsed);
      const result = await cache.get('bot-token');

      // Assess
      expect(result).toBe(value);
      expect(store.reads).toHaveLength(reads);
    },
  );

  it('caches each name on its own', async () => {
    // Prepare
    const { store, cache } = setUp();

    // Act
    await cache.get('bot-token');
    await cache.get('webhook-secret');
    await cache.get('bot-token');
    await cache.get('webhook-secret');

    // Assess
    expect(store.reads).toEqual(['bot-token', 'webhook-secret']);
  });

  it('lets concurrent first reads share one fetch', async () => {
    // Prepare
    const { store, cache } = setUp();
    store.holdReads();

    // Act
    const pending = Array.from({ length: 5 }, () => cache.get('bot-token'));
    store.releaseReads();
    const values = await Promise.all(pending);

    // Assess
    expect(values).toEqual(['v1', 'v1', 'v1', 'v1', 'v1']);
    expect(store.reads).toEqual(['bot-token']);
  });

  it('does not cache a failed read: the next call reads again and succeeds', async () => {
    // Prepare
    const { store, cache } = setUp();
    store.failuresLeft = 1;

    // Act
    const first = cache.get('bot-token');
    await expect(first).rejects.toThrow('Secrets Manager throttled');
    const second = await cache.get('bot-token');

    // Assess
    expect(second).toBe('v1');
    expect(store.reads).toEqual(['bot-token', 'bot-token']);
  });

  it('does not cache a missing secret either', async () => {
    // Prepare
    const { store, cache } = setUp();
    store.values.delete('bot-token');
    await expect(cache.get('bot-token')).rejects.toBeInstanceOf(SecretNotFoundError);
    store.values.set('bot-token', 'late');

    // Act
    const value = await cache.get('bot-token');

    // Assess
    expect(value).toBe('late');
  });

  it('reads every time with a TTL of zero', async () => {
    // Prepare
    const store = new CountingSecrets();
    const cache = new CachedSecrets(store, 0, () => 5);

    // Act
    await cache.get('bot-token');
    await cache.get('bot-token');

    // Assess
    expect(store.reads).toHaveLength(2);
  });
});

describe('lazy', () => {
  it('runs the initialiser once for sequential and concurrent callers', async () => {
    // Prepare
    let runs = 0;
    const get = lazy(async () => {
      runs += 1;
      return { built: runs };
    });

    // Act
    const concurrent = await Promise.all([get(), get(), get()]);
    const later = await get();

    // Assess
    expect(runs).toBe(1);
    expect(new Set([...concurrent, later]).size).toBe(1);
  });

  it('forgets a failed initialisation so the next call tries again', async () => {
    // Prepare
    let runs = 0;
    const get = lazy(async () => {
      runs += 1;
      if (runs === 1) throw new Error('cold start failed');
      return 'ready';
    });

    // Act
    const first = get();
    await expect(first).rejects.toThrow('cold start failed');
    const second = await get();
    const third = await get();

    // Assess
    expect([second, third]).toEqual(['ready', 'ready']);
    expect(runs).toBe(2);
  });

  it('gives concurrent callers of a failing attempt the same failure, then retries once', async () => {
    // Prepare
    let runs = 0;
    const get = lazy(async () => {
      runs += 1;
      if (runs === 1) throw new Error('boom');
      return runs;
    });

    // Act
    const results = await Promise.allSettled([get(), get()]);
    const retried = await Promise.all([get(), get()]);

    // Assess
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(retried).toEqual([2, 2]);
    expect(runs).toBe(2);
  });
});

describe('once', () => {
  it('runs the initialiser once', () => {
    // Prepare
    let runs = 0;
    const get = once(() => ({ run: ++runs }));

    // Act
    const values = [get(), get(), get()];

    // Assess
    expect(runs).toBe(1);
    expect(values[0]).toBe(values[2]);
  });

  it('does not cache a throw', () => {
    // Prepare
    let runs = 0;
    const get = once(() => {
      runs += 1;
      if (runs === 1) throw new Error('bad environment');
      return 'runtime';
    });

    // Act
    expect(get).toThrow('bad environment');
    const value = get();

    // Assess
    expect(value).toBe('runtime');
    expect(runs).toBe(2);
  });

  it('caches an undefined result too', () => {
    // Prepare
    let runs = 0;
    const get = once(() => {
      runs += 1;
      return undefined;
    });

    // Act
    get();
    get();

    // Assess
    expect(runs).toBe(1);
  });
});
