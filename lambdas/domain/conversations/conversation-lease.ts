import { ConditionFailedError, type Item, type KeyValueStore } from '../../ports/key-value-store.ts';
import { type ConversationState, initialConversation } from './conversation-state.ts';

export class ConversationBusyError extends Error {
  /** @param retryAfterSeconds when the other worker's lease runs out at the latest. */
  constructor(
    readonly chatId: number,
    readonly retryAfterSeconds = 5,
  ) {
    super(`Conversation ${chatId} is being processed by another worker`);
    this.name = 'ConversationBusyError';
  }
}

/** Lost the lease (it expired and someone else took it): stop without writing anything. */
export class LeaseLostError extends Error {
  constructor(readonly chatId: number) {
    super(`Lease on conversation ${chatId} was lost`);
    this.name = 'LeaseLostError';
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The PROCESSING / AWAITING lease on a conversation, as one item per chat in the `sessions`
 * table written only with version-conditional puts: of two workers only one can win.
 */
export class ConversationLeases {
  constructor(
    private readonly store: KeyValueStore,
    private readonly leaseSeconds: number,
    private readonly now: () => number = nowSeconds,
  ) {}

  async read(chatId: number): Promise<ConversationState> {
    const item = await this.store.get('sessions', key(chatId));
    return item ? fromItem(item) : initialConversation(chatId);
  }

  /**
   * Takes the lease for `owner`. A lease held by someone else that has not expired means busy;
   * the caller leaves the message in the queue, which redelivers it later, in order.
   */
  async acquire(chatId: number, owner: string): Promise<ConversationState> {
    const current = await this.read(chatId);
    const heldByOther =
      current.phase === 'PROCESSING' &&
      current.leaseOwner !== owner &&
      (current.leaseExpiresAt ?? 0) > this.now();
    if (heldByOther) throw new ConversationBusyError(chatId, (current.leaseExpiresAt ?? 0) - this.now() + 1);
    const next: ConversationState = {
      ...current,
      phase: 'PROCESSING',
      leaseOwner: owner,
      leaseExpiresAt: this.now() + this.leaseSeconds,
    };
    return this.write(current, next, () => new ConversationBusyError(chatId));
  }

  /** Extends the lease; fails with LeaseLostError if someone else took the conversation. */
  async heartbeat(state: ConversationState): Promise<ConversationState> {
    return this.update(state, { leaseExpiresAt: this.now() + this.leaseSeconds });
  }

  /** Writes new fields while holding the lease. */
  async update(state: ConversationState, changes: Partial<ConversationState>): Promise<ConversationState> {
    return this.write(state, { ...state, ...changes }, () => new LeaseLostError(state.chatId));
  }

  /** Gives the lease up, leaving the conversation IDLE or AWAITING an answer. */
  async release(
    state: ConversationState,
    changes: Partial<ConversationState> = {},
  ): Promise<ConversationState> {
    const next = { ...state, ...changes };
    next.phase = next.confirmation || next.awaitedSecret ? 'AWAITING' : 'IDLE';
    delete next.leaseOwner;
    delete next.leaseExpiresAt;
    return this.write(state, next, () => new LeaseLostError(state.chatId));
  }

  /**
   * Gives the lease back after a run failed with an error (not a crash): the message will be
   * retried, and meanwhile the chat's other messages need not wait for the lease to run out.
   */
  async releaseIfHeldBy(chatId: number, owner: string): Promise<void> {
    const current = await this.read(chatId);
    if (current.phase !== 'PROCESSING' || current.leaseOwner !== owner) return;
    await this.release(current).catch((error: unknown) => {
      if (!(error instanceof LeaseLostError)) throw error;
    });
  }

  private async write(
    expected: ConversationState,
    next: ConversationState,
    onConflict: () => Error,
  ): Promise<ConversationState> {
    const written = { ...next, version: expected.version + 1 };
    try {
      await this.store.put(
        'sessions',
        { ...key(next.chatId), ...stripUndefined(written) },
        expected.version === 0 ? { ifAbsent: true } : { ifVersion: expected.version },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) throw onConflict();
      throw error;
    }
    return written;
  }
}

function key(chatId: number) {
  return { pk: `CONV#${chatId}`, sk: 'STATE' };
}

function fromItem(item: Item): ConversationState {
  const { pk: _pk, sk: _sk, expiresAt: _e, ...rest } = item;
  return rest as unknown as ConversationState;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
