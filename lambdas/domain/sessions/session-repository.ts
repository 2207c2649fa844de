import type { KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * grammY-compatible session storage (read / write / delete by key) on the `sessions` table.
 * Sessions expire after a quiet period so abandoned chats do not accumulate forever.
 */
export class SessionRepository<T> {
  constructor(
    private readonly store: KeyValueStore,
    private readonly ttlSeconds = 90 * 24 * 3600,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async read(key: string): Promise<T | undefined> {
    const item = await this.store.get('sessions', this.key(key));
    return item ? (item.data as T) : undefined;
  }

  async write(key: string, value: T): Promise<void> {
    await this.store.put('sessions', {
      ...this.key(key),
      data: value as unknown,
      expiresAt: this.now() + this.ttlSeconds,
    });
  }

  async delete(key: string): Promise<void> {
    await this.store.delete('sessions', this.key(key));
  }

  private key(key: string) {
    return { pk: `SESSION#${key}`, sk: 'CHAT' };
  }
}
