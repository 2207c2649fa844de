import { randomBytes } from 'node:crypto';
import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * Ordered, versioned checkpoints of agent threads in the `checkpoints` table. A checkpoint too
 * big for one item (DynamoDB's 400 KB limit) is split into parts written before its head item,
 * so a head that exists is always complete. Threads expire after `ttlSeconds` of silence.
 */
export interface Checkpoint<T> {
  threadId: string;
  seq: number;
  state: T;
}

// Characters, not bytes: at most 4 UTF-8 bytes each keeps a part under 400 KB with room to spare.
const PART_CHARS = 90_000;
const KEEP_CHECKPOINTS = 5;

export class CheckpointConflictError extends Error {
  constructor(
    readonly threadId: string,
    readonly seq: number,
  ) {
    super(`Checkpoint ${seq} of ${threadId} already exists`);
    this.name = 'CheckpointConflictError';
  }
}

export class CheckpointStore<T> {
  constructor(
    private readonly store: KeyValueStore,
    private readonly ttlSeconds = 30 * 24 * 3600,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async latest(threadId: string): Promise<Checkpoint<T> | undefined> {
    const page = await this.store.query('checkpoints', pk(threadId), {
      skBeginsWith: 'CP#',
      descending: true,
      limit: 1,
    });
    const head = page.items[0];
    if (!head) return undefined;
    const seq = Number(head.seq);
    let json = typeof head.state === 'string' ? head.state : '';
    const parts = Number(head.parts ?? 0);
    if (parts > 0) {
      const chunks: string[] = [];
      let cursor: string | undefined;
      do {
        const partPage = await this.store.query('checkpoints', pk(threadId), {
          skBeginsWith: `PART#${pad(seq)}#${String(head.attempt)}#`,
          ...(cursor ? { cursor } : {}),
        });
        chunks.push(...partPage.items.map((i) => String(i.data)));
        cursor = partPage.cursor;
      } while (cursor);
      if (chunks.length !== parts) throw new Error(`Checkpoint ${seq} of ${threadId} is missing parts`);
      json = chunks.join('');
    }
    return { threadId, seq, state: JSON.parse(json) as T };
  }

  /** Writes checkpoint `seq`; fails with CheckpointConflictError if that version exists already. */
  async save(threadId: string, seq: number, state: T): Promise<void> {
    const json = JSON.stringify(state);
    const expiresAt = this.now() + this.ttlSeconds;
    const chunks = json.length > PART_CHARS ? splitChunks(json, PART_CHARS) : [];
    // Parts carry a per-attempt id named by the head, so a writer that loses the race for `seq`
    // leaves orphans (expired by TTL) instead of overwriting the winner's parts.
    const attempt = randomBytes(4).toString('hex');
    for (const [i, data] of chunks.entries()) {
      await this.store.put('checkpoints', {
        pk: pk(threadId),
        sk: `PART#${pad(seq)}#${attempt}#${pad(i)}`,
        data,
        expiresAt,
      });
    }
    const parts = chunks.length;
    try {
      await this.store.put(
        'checkpoints',
        {
          pk: pk(threadId),
          sk: `CP#${pad(seq)}`,
          seq,
          parts,
          ...(parts === 0 ? { state: json } : { attempt }),
          createdAt: new Date(this.now() * 1000).toISOString(),
          expiresAt,
        },
        { ifAbsent: true },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new CheckpointConflictError(threadId, seq);
      throw error;
    }
    await this.prune(threadId, seq);
  }

  /** Keeps the last few checkpoints for inspection; older ones are deleted. */
  private async prune(threadId: string, seq: number): Promise<void> {
    const old = seq - KEEP_CHECKPOINTS;
    if (old < 0) return;
    const page = await this.store.query('checkpoints', pk(threadId), { skBeginsWith: `PART#${pad(old)}#` });
    await Promise.all(page.items.map((i) => this.store.delete('checkpoints', { pk: i.pk, sk: i.sk })));
    await this.store.delete('checkpoints', { pk: pk(threadId), sk: `CP#${pad(old)}` });
  }
}

const pk = (threadId: string) => `THREAD#${threadId}`;

/** Splits at most `size` UTF-16 units a chunk, never between the two halves of a surrogate pair. */
function splitChunks(text: string, size: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
const pad = (n: number) => String(n).padStart(10, '0');
