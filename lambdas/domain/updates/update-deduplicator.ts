import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * What the consumer's claim on an update says about this delivery of it:
 * - `first`: nobody has handled this update; handle it.
 * - `redelivery`: this same queue message was received before and not finished (a crash, a
 *   retry); handle it again: the agent's checkpoints make the repeat safe.
 * - `duplicate`: another queue message carried the same update (Telegram resent it after the
 *   queue's five-minute dedup window), or this message was already finished; drop it.
 */
export type ClaimResult = 'first' | 'redelivery' | 'duplicate';

interface ClaimItem {
  deliveryId: string;
  done?: boolean;
  failures?: number;
}

/**
 * The consumer's record of the Telegram updates it has taken on, so each is answered once.
 * Telegram resends an unanswered update for up to 24 h, so a claim lives at least 25 h. It holds
 * the update id and the queue message id, nothing about the person. The claim is taken by the
 * consumer, not the webhook: a webhook that died after claiming but before queueing would have
 * lost the update for good.
 */
export class UpdateDeduplicator {
  constructor(
    private readonly store: KeyValueStore,
    private readonly botId: number,
    private readonly ttlSeconds: number,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async claim(updateId: number, deliveryId: string): Promise<ClaimResult> {
    const now = this.now();
    try {
      await this.store.put(
        'dedup',
        { ...this.key(updateId), deliveryId, claimedAt: now, expiresAt: now + this.ttlSeconds },
        { ifAbsent: true },
      );
      return 'first';
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const held = await this.read(updateId);
    // Gone between the two calls (expired): a fresh claim is the safe reading of that.
    if (!held) return this.claim(updateId, deliveryId);
    return held.deliveryId === deliveryId && !held.done ? 'redelivery' : 'duplicate';
  }

  /** The update was answered (or failed for good): a redelivery of its message is a duplicate. */
  async finish(updateId: number): Promise<void> {
    await this.rewrite(updateId, (held) => ({ ...held, done: true }));
  }

  /**
   * Forgets the update: it went to the dead-letter queue unanswered, and an operator's redrive (a new
   * queue message) must be handled rather than dropped as a duplicate.
   */
  async release(updateId: number): Promise<void> {
    await this.store.delete('dedup', this.key(updateId));
  }

  /**
   * Counts a failed attempt at the update and returns how many there have been. Only real
   * failures count: a chat that was busy or a turn that paused for time is not a failure, so
   * the queue's own receive count (which counts those too) cannot decide when to give up.
   */
  async recordFailure(updateId: number): Promise<number> {
    let failures = 1;
    await this.rewrite(updateId, (held) => {
      failures = (held.failures ?? 0) + 1;
      return { ...held, failures };
    });
    return failures;
  }

  private async read(updateId: number): Promise<(ClaimItem & { expiresAt?: number }) | undefined> {
    const item = await this.store.get('dedup', this.key(updateId));
    return item as (ClaimItem & { expiresAt?: number }) | undefined;
  }

  /** Messages of one chat are handled one at a time (FIFO group), so a read-then-write is safe. */
  private async rewrite(updateId: number, change: (held: ClaimItem) => ClaimItem): Promise<void> {
    const held = await this.read(updateId);
    if (!held) return;
    await this.store.put('dedup', { ...held, ...change(held), ...this.key(updateId) });
  }

  private key(updateId: number) {
    return { pk: `UPDATE#${this.botId}#${updateId}`, sk: 'CLAIM' };
  }
}
