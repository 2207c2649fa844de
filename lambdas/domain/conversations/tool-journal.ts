import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * Write-ahead record of tool calls, like LangGraph's pending writes: a call is marked started
 * before it runs and its result recorded right after, before the agent acts on it. After a crash
 * a finished call's result is replayed instead of running the tool again.
 */
export type JournalEntry = { status: 'started' } | { status: 'done'; content: string; isError: boolean };

export class ToolJournal {
  constructor(
    private readonly store: KeyValueStore,
    private readonly ttlSeconds = 30 * 24 * 3600,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async get(threadId: string, toolUseId: string): Promise<JournalEntry | undefined> {
    const item = await this.store.get('checkpoints', key(threadId, toolUseId));
    if (!item) return undefined;
    return item.status === 'done'
      ? { status: 'done', content: String(item.content), isError: Boolean(item.isError) }
      : { status: 'started' };
  }

  /** @returns false when the call was started before (by a run that may have crashed). */
  async markStarted(threadId: string, toolUseId: string): Promise<boolean> {
    try {
      await this.store.put(
        'checkpoints',
        { ...key(threadId, toolUseId), status: 'started', expiresAt: this.now() + this.ttlSeconds },
        { ifAbsent: true },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async recordResult(threadId: string, toolUseId: string, content: string, isError: boolean): Promise<void> {
    await this.store.put('checkpoints', {
      ...key(threadId, toolUseId),
      status: 'done',
      content,
      isError,
      expiresAt: this.now() + this.ttlSeconds,
    });
  }
}

function key(threadId: string, toolUseId: string) {
  return { pk: `THREAD#${threadId}`, sk: `TOOL#${toolUseId}` };
}
