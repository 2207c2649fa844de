import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * Remembers Telegram update ids so a redelivered update is handled once. Telegram keeps and
 * resends an unanswered update for up to 24 h, so a claim lives at least 25 h. One conditional
 * write decides between concurrent deliveries; an expired claim counts as absent.
 */
export class UpdateDeduplicator {
  constructor(
    private readonly store: KeyValueStore,
    private readonly botId: number,
    private readonly ttlSeconds: number,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** @returns true if this call is the first to see the update within the window. */
  async claim(updateId: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.store.put(
        'dedup',
        { ...this.key(updateId), claimedAt: now, expiresAt: now + this.ttlSeconds },
        { ifAbsent: true },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Gives a claim back when the update could not be queued, so Telegram's retry is handled. */
  async release(updateId: number): Promise<void> {
    await this.store.delete('dedup', this.key(updateId));
  }

  private key(updateId: number) {
    return { pk: `UPDATE#${this.botId}#${updateId}`, sk: 'CLAIM' };
  }
}
