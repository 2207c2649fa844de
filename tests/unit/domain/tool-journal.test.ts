import { beforeEach, describe, expect, it } from 'vitest';
import { ToolJournal } from '../../../lambdas/domain/conversations/tool-journal.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';

const THREAD = 'chat-1-1';
const TTL = 24 * 3600;

let clock: ManualClock;
let store: MemoryStore;
let journal: ToolJournal;

beforeEach(() => {
  clock = new ManualClock();
  store = new MemoryStore({ now: clock.now });
  journal = new ToolJournal(store, TTL, clock.now);
});

describe('ToolJournal', () => {
  it('knows nothing of a call that never started', async () => {
    // Act
    const entry = await journal.get(THREAD, 'toolu_1');

    // Assess
    expect(entry).toBeUndefined();
  });

  it('marks a call started once: a second start reports the earlier one', async () => {
    // Act
    const first = await journal.markStarted(THREAD, 'toolu_1');
    const second = await journal.markStarted(THREAD, 'toolu_1');

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(await journal.get(THREAD, 'toolu_1')).toEqual({ status: 'started' });
  });

  it('lets exactly one of concurrent starts of the same call win', async () => {
    // Act
    const results = await Promise.all(
      Array.from({ length: 5 }, () => journal.markStarted(THREAD, 'toolu_1')),
    );

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it.each([
    { isError: false, content: 'Project created: weather-bot' },
    { isError: true, content: 'Project "x" not found' },
  ])('records a result (isError $isError) for replay', async ({ isError, content }) => {
    // Prepare
    await journal.markStarted(THREAD, 'toolu_1');

    // Act
    await journal.recordResult(THREAD, 'toolu_1', content, isError);

    // Assess
    expect(await journal.get(THREAD, 'toolu_1')).toEqual({ status: 'done', content, isError });
  });

  it('does not let a late start overwrite a recorded result', async () => {
    // Prepare
    await journal.markStarted(THREAD, 'toolu_1');
    await journal.recordResult(THREAD, 'toolu_1', 'done once', false);

    // Act
    const started = await journal.markStarted(THREAD, 'toolu_1');

    // Assess
    expect(started).toBe(false);
    expect(await journal.get(THREAD, 'toolu_1')).toEqual({
      status: 'done',
      content: 'done once',
      isError: false,
    });
  });

  it('keeps calls of different threads and ids apart', async () => {
    // Prepare
    await journal.recordResult(THREAD, 'toolu_1', 'mine', false);

    // Act
    const otherThread = await journal.get('chat-2-1', 'toolu_1');
    const otherCall = await journal.get(THREAD, 'toolu_2');

    // Assess
    expect([otherThread, otherCall]).toEqual([undefined, undefined]);
  });

  it('lives beside the checkpoints of its thread, with an expiry', async () => {
    // Act
    await journal.markStarted(THREAD, 'toolu_1');

    // Assess
    expect(store.dump('checkpoints')).toEqual([
      { pk: `THREAD#${THREAD}`, sk: 'TOOL#toolu_1', status: 'started', expiresAt: clock.now() + TTL },
    ]);
  });

  it.each([
    { elapsed: TTL, known: true },
    { elapsed: TTL + 1, known: false },
  ])('forgets a call $elapsed s later: $known', async ({ elapsed, known }) => {
    // Prepare
    await journal.recordResult(THREAD, 'toolu_1', 'old', false);

    // Act
    clock.advance(elapsed);
    const entry = await journal.get(THREAD, 'toolu_1');
    const restarted = await journal.markStarted(THREAD, 'toolu_1');

    // Assess
    expect(entry !== undefined).toBe(known);
    expect(restarted).toBe(!known);
  });
});
