import type { KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * The secret a deploy run waits for, one per chat at a time: the person's next message in that
 * chat is the value. Keyed by chat so the consumer finds it before anything stores or forwards
 * the message. The task token stays here (never in the chat or the transcript), and is consumed
 * once with a conditional write, so a value sent twice resumes the run once.
 */
export interface SecretRequest {
  chatId: number;
  ownerId: number;
  projectId: string;
  runName: string;
  key: string;
  expiresAt: number;
}

interface StoredRequest extends SecretRequest {
  taskToken: string;
  version: number;
}

export class SecretRequests {
  constructor(
    private readonly store: KeyValueStore,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Opens (or replaces: a newer run's question wins) the chat's request. */
  async open(
    request: Omit<SecretRequest, 'expiresAt'> & { taskToken: string; ttlSeconds: number },
  ): Promise<void> {
    const { ttlSeconds, ...rest } = request;
    const expiresAt = this.nowSeconds() + ttlSeconds;
    await this.store.put('sessions', { ...key(request.chatId), ...rest, expiresAt, version: 0 });
  }

  /** The request the chat's next message answers, if one is open. */
  async forChat(chatId: number): Promise<SecretRequest | undefined> {
    const item = await this.store.get('sessions', key(chatId));
    if (!item || item.consumed) return undefined;
    const {
      pk: _pk,
      sk: _sk,
      taskToken: _t,
      version: _v,
      ...request
    } = item as unknown as StoredRequest & {
      pk: string;
      sk: string;
    };
    return request;
  }

  /**
   * Takes the chat's request once: the caller stored the value and now resumes the run with the
   * token. Undefined when it was already taken (a duplicate) or is gone.
   */
  async consume(
    chatId: number,
    projectId: string,
    secretKey: string,
  ): Promise<{ taskToken: string; runName: string } | undefined> {
    const item = (await this.store.get('sessions', key(chatId))) as unknown as
      | (StoredRequest & { pk: string; sk: string })
      | undefined;
    if (!item || item.projectId !== projectId || item.key !== secretKey) return undefined;
    try {
      await this.store.put(
        'sessions',
        { ...key(chatId), expiresAt: item.expiresAt, version: item.version + 1, consumed: true },
        { ifVersion: item.version },
      );
    } catch {
      return undefined;
    }
    await this.store.delete('sessions', key(chatId));
    return { taskToken: item.taskToken, runName: item.runName };
  }
}

const key = (chatId: number) => ({ pk: `SECRET_REQUEST#${chatId}`, sk: 'OPEN' });
