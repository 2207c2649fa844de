import { beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointConflictError,
  CheckpointStore,
} from '../../../lambdas/domain/conversations/checkpoint-store.ts';
import type { Item } from '../../../lambdas/ports/key-value-store.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';

interface State {
  note: string;
  messages: string[];
}

const THREAD = 'chat-1-1';
const TTL = 7 * 24 * 3600;
/** DynamoDB's item size limit. */
const ITEM_LIMIT = 400 * 1024;

let clock: ManualClock;
let store: MemoryStore;
let checkpoints: CheckpointStore<State>;

beforeEach(() => {
  clock = new ManualClock();
  store = new MemoryStore({ now: clock.now });
  checkpoints = new CheckpointStore<State>(store, TTL, clock.now);
});

const small = (note: string): State => ({ note, messages: [note] });

/** About 1.2 MB of JSON: ASCII with 2-, 3- and 4-byte UTF-8 characters, quotes and newlines. */
function big(note: string): State {
  const line = 'The weather bot says "grüß dich", 天気は晴れ 🌤️ and\nsends it at 08:00 — ';
  return { note, messages: Array.from({ length: 16_000 }, (_, i) => `${i}: ${line}`) };
}

const bytes = (item: Item) => Buffer.byteLength(JSON.stringify(item), 'utf8');
const items = () => store.dump('checkpoints');
const sortKeys = () =>
  items()
    .map((i) => i.sk)
    .sort();

describe('CheckpointStore', () => {
  it('has no checkpoint for a new thread', async () => {
    // Act
    const latest = await checkpoints.latest(THREAD);

    // Assess
    expect(latest).toBeUndefined();
  });

  it('returns the latest of several checkpoints', async () => {
    // Prepare
    for (const seq of [1, 2, 3]) await checkpoints.save(THREAD, seq, small(`state ${seq}`));

    // Act
    const latest = await checkpoints.latest(THREAD);

    // Assess
    expect(latest).toEqual({ threadId: THREAD, seq: 3, state: small('state 3') });
  });

  it('orders by number, not by text (seq 10 is later than seq 9)', async () => {
    // Prepare
    for (let seq = 1; seq <= 10; seq++) await checkpoints.save(THREAD, seq, small(`state ${seq}`));

    // Act
    const latest = await checkpoints.latest(THREAD);

    // Assess
    expect(latest?.seq).toBe(10);
  });

  it('keeps threads apart', async () => {
    // Prepare
    await checkpoints.save(THREAD, 1, small('mine'));
    await checkpoints.save('chat-2-1', 1, small('theirs'));
    await checkpoints.save('chat-2-1', 2, small('theirs again'));

    // Act
    const latest = await checkpoints.latest(THREAD);

    // Assess
    expect(latest).toEqual({ threadId: THREAD, seq: 1, state: small('mine') });
  });

  it('refuses to save a seq that exists already and keeps the existing checkpoint', async () => {
    // Prepare
    await checkpoints.save(THREAD, 1, small('first writer'));

    // Act
    const second = checkpoints.save(THREAD, 1, small('second writer'));

    // Assess
    await expect(second).rejects.toBeInstanceOf(CheckpointConflictError);
    await expect(second).rejects.toMatchObject({ threadId: THREAD, seq: 1 });
    expect((await checkpoints.latest(THREAD))?.state).toEqual(small('first writer'));
  });

  it('refuses a conflicting save of a large state without touching the existing checkpoint', async () => {
    // Prepare: a worker that lost its lease writes the same seq as the winner did
    const winner = big('winner');
    await checkpoints.save(THREAD, 1, winner);

    // Act
    const loser = checkpoints.save(THREAD, 1, big('loser!'));

    // Assess
    await expect(loser).rejects.toBeInstanceOf(CheckpointConflictError);
    expect((await checkpoints.latest(THREAD))?.state.note).toBe('winner');
  });

  it('splits a state of over 1 MB into items under 400 KB and reads it back equal', async () => {
    // Prepare
    const state = big('large');
    expect(Buffer.byteLength(JSON.stringify(state), 'utf8')).toBeGreaterThan(1_200_000);

    // Act
    await checkpoints.save(THREAD, 1, state);
    const latest = await checkpoints.latest(THREAD);

    // Assess
    const stored = items();
    expect(stored.length).toBeGreaterThan(3);
    for (const item of stored) expect(bytes(item)).toBeLessThan(ITEM_LIMIT);
    expect(stored.find((i) => i.sk.startsWith('CP#'))).not.toHaveProperty('state');
    expect(latest).toEqual({ threadId: THREAD, seq: 1, state });
  });

  it('keeps a state small enough for one item in the head item', async () => {
    // Act
    await checkpoints.save(THREAD, 1, small('tiny'));

    // Assess
    expect(items()).toEqual([
      expect.objectContaining({
        sk: 'CP#0000000001',
        seq: 1,
        parts: 0,
        state: JSON.stringify(small('tiny')),
      }),
    ]);
  });

  it('cuts parts so that each survives the UTF-8 encoding DynamoDB stores strings in', async () => {
    // Prepare: 4-byte characters are two UTF-16 units; a cut between them leaves half a character
    const state: State = { note: 'emoji', messages: ['🙂'.repeat(100_000)] };

    // Act
    await checkpoints.save(THREAD, 1, state);

    // Assess
    const parts = items().filter((i) => i.sk.startsWith('PART#'));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      const data = String(part.data);
      expect(Buffer.from(data, 'utf8').toString('utf8') === data, `${part.sk} is valid UTF-16`).toBe(true);
    }
  });

  it('keeps the last 5 checkpoints, parts included, and deletes older ones', async () => {
    // Act
    for (let seq = 1; seq <= 8; seq++)
      await checkpoints.save(THREAD, seq, seq % 2 ? big(`big ${seq}`) : small(`${seq}`));

    // Assess
    const heads = sortKeys().filter((sk) => sk.startsWith('CP#'));
    expect(heads).toEqual([4, 5, 6, 7, 8].map((seq) => `CP#${String(seq).padStart(10, '0')}`));
    const partSeqs = new Set(
      sortKeys()
        .filter((sk) => sk.startsWith('PART#'))
        .map((sk) => Number(sk.split('#')[1])),
    );
    expect([...partSeqs].sort()).toEqual([5, 7]);
    expect((await checkpoints.latest(THREAD))?.state).toEqual(small('8'));
  });

  it.each([
    { elapsed: TTL, found: true },
    { elapsed: TTL + 1, found: false },
  ])('finds a thread $elapsed s after its last checkpoint: $found', async ({ elapsed, found }) => {
    // Prepare
    await checkpoints.save(THREAD, 1, big('old'));
    await checkpoints.save(THREAD, 2, small('newer'));

    // Act
    clock.advance(elapsed);
    const latest = await checkpoints.latest(THREAD);

    // Assess
    expect(latest !== undefined).toBe(found);
  });

  it('starts again at any seq once the thread expired', async () => {
    // Prepare
    await checkpoints.save(THREAD, 1, small('old'));
    clock.advance(TTL + 1);

    // Act
    await checkpoints.save(THREAD, 1, small('new'));

    // Assess
    expect((await checkpoints.latest(THREAD))?.state).toEqual(small('new'));
  });
});
