import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileFifoQueue, type FileFifoQueueOptions } from '../../../lambdas/adapters/local/file-queue.ts';
import { QueueMessageTooLargeError, type ReceivedMessage } from '../../../lambdas/ports/queue.ts';

const VISIBILITY_MS = 30_000;
const FIVE_MINUTES = 5 * 60 * 1000;

let dir: string;
let clock: number;
const queues: FileFifoQueue[] = [];

const openQueue = (overrides: Partial<FileFifoQueueOptions> = {}) => {
  const queue = new FileFifoQueue({
    dir,
    visibilityTimeoutMs: VISIBILITY_MS,
    maxReceiveCount: 3,
    now: () => clock,
    ...overrides,
  });
  queues.push(queue);
  return queue;
};
const send = (queue: FileFifoQueue, groupId: string, body: string, deduplicationId = body) =>
  queue.send({ groupId, deduplicationId, body });
const bodies = (messages: ReceivedMessage[]) => messages.map((m) => m.body);

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'file-queue-')), 'queue');
  clock = 1_700_000_000_000;
});

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('FileFifoQueue ordering', () => {
  it('delivers the messages of one group strictly in send order', async () => {
    // Prepare
    const queue = openQueue();
    for (const body of ['a1', 'a2', 'a3']) await send(queue, 'a', body);

    // Act
    const delivered: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [message] = await queue.receive({ maxMessages: 10 });
      delivered.push(message!.body);
      await queue.delete(message!.receiptHandle);
    }

    // Assess
    expect(delivered).toEqual(['a1', 'a2', 'a3']);
    expect(await queue.receive({ maxMessages: 10 })).toEqual([]);
  });

  it('holds a group back while one of its messages is in flight', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');
    await send(queue, 'a', 'a2');
    const [first] = await queue.receive({ maxMessages: 10 });

    // Act
    const whileInFlight = await queue.receive({ maxMessages: 10 });
    await queue.delete(first!.receiptHandle);
    const afterDelete = await queue.receive({ maxMessages: 10 });

    // Assess
    expect(whileInFlight).toEqual([]);
    expect(bodies(afterDelete)).toEqual(['a2']);
  });

  it('interleaves groups, one message per group per batch, in send order', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');
    await send(queue, 'b', 'b1');
    await send(queue, 'a', 'a2');
    await send(queue, 'c', 'c1');

    // Act
    const batch = await queue.receive({ maxMessages: 10 });

    // Assess
    expect(bodies(batch)).toEqual(['a1', 'b1', 'c1']);
    expect(batch.map((m) => m.groupId)).toEqual(['a', 'b', 'c']);
    expect(queue.stats()).toEqual({ visible: 1, inFlight: 3, deadLetters: 0 });
  });

  it('lets other groups through while one group is blocked', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');
    await send(queue, 'a', 'a2');
    await queue.receive({ maxMessages: 1 });
    await send(queue, 'b', 'b1');

    // Act
    const batch = await queue.receive({ maxMessages: 10 });

    // Assess
    expect(bodies(batch)).toEqual(['b1']);
  });

  it('returns no more than maxMessages', async () => {
    // Prepare
    const queue = openQueue();
    for (const group of ['a', 'b', 'c', 'd']) await send(queue, group, `${group}1`);

    // Act
    const batch = await queue.receive({ maxMessages: 2 });

    // Assess
    expect(bodies(batch)).toEqual(['a1', 'b1']);
  });

  it.each([0, 11, 1.5])('rejects maxMessages %s as SQS does', async (maxMessages) => {
    // Prepare
    const queue = openQueue();

    // Act
    const receiving = queue.receive({ maxMessages });

    // Assess
    await expect(receiving).rejects.toBeInstanceOf(RangeError);
  });
});

describe('FileFifoQueue visibility and dead letters', () => {
  it('redelivers an undeleted message after the visibility timeout with a higher receive count', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');
    const [first] = await queue.receive({ maxMessages: 1 });

    // Act
    clock += VISIBILITY_MS - 1;
    const tooEarly = await queue.receive({ maxMessages: 1 });
    clock += 1;
    const [again] = await queue.receive({ maxMessages: 1 });

    // Assess
    expect(tooEarly).toEqual([]);
    expect(first).toMatchObject({ body: 'a1', receiveCount: 1, sentAt: 1_700_000_000_000 });
    expect(again).toMatchObject({ messageId: first!.messageId, body: 'a1', receiveCount: 2 });
    expect(again!.receiptHandle).not.toBe(first!.receiptHandle);
  });

  it('moves a message to the dead letters after maxReceiveCount receives and unblocks its group', async () => {
    // Prepare
    const queue = openQueue({ maxReceiveCount: 2 });
    await send(queue, 'a', 'poison');
    await send(queue, 'a', 'a2');
    for (let i = 0; i < 2; i++) {
      await queue.receive({ maxMessages: 1 });
      clock += VISIBILITY_MS;
    }

    // Act
    const next = await queue.receive({ maxMessages: 10 });

    // Assess
    expect(bodies(next)).toEqual(['a2']);
    const dead = await queue.deadLetters();
    expect(dead).toEqual([expect.objectContaining({ body: 'poison', groupId: 'a', receiveCount: 2 })]);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 1, deadLetters: 1 });
  });

  it('counts an exhausted message as a dead letter before any receive moves it', async () => {
    // Prepare
    const queue = openQueue({ maxReceiveCount: 1 });
    await send(queue, 'a', 'poison');
    await queue.receive({ maxMessages: 1 });

    // Act
    clock += VISIBILITY_MS;
    const stats = queue.stats();

    // Assess
    expect(stats).toEqual({ visible: 0, inFlight: 0, deadLetters: 1 });
    expect(bodies(await queue.deadLetters())).toEqual(['poison']);
  });

  it('ignores a delete with a stale receipt handle, as SQS does', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');
    const [first] = await queue.receive({ maxMessages: 1 });
    clock += VISIBILITY_MS;
    const [second] = await queue.receive({ maxMessages: 1 });

    // Act
    await queue.delete(first!.receiptHandle);

    // Assess
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 1, deadLetters: 0 });
    await queue.delete(second!.receiptHandle);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0, deadLetters: 0 });
  });

  it('still deletes with the latest handle after the timeout if nobody received it again', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');
    const [message] = await queue.receive({ maxMessages: 1 });
    clock += VISIBILITY_MS * 2;

    // Act
    await queue.delete(message!.receiptHandle);

    // Assess
    expect(await queue.receive({ maxMessages: 1 })).toEqual([]);
  });

  it.each(['', 'not-a-handle'])('treats delete(%j) as a no-op', async (handle) => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');

    // Act
    await queue.delete(handle);

    // Assess
    expect(queue.stats()).toEqual({ visible: 1, inFlight: 0, deadLetters: 0 });
  });
});

describe('FileFifoQueue send', () => {
  it.each([
    { elapsed: 0, delivered: ['first'] },
    { elapsed: FIVE_MINUTES - 1, delivered: ['first'] },
    { elapsed: FIVE_MINUTES, delivered: ['first', 'second'] },
  ])(
    'with the same deduplication id $elapsed ms later delivers $delivered',
    async ({ elapsed, delivered }) => {
      // Prepare
      const queue = openQueue();
      await queue.send({ groupId: 'a', deduplicationId: 'update-1', body: 'first' });
      clock += elapsed;

      // Act
      await queue.send({ groupId: 'b', deduplicationId: 'update-1', body: 'second' });

      // Assess
      expect(bodies(await queue.receive({ maxMessages: 10 }))).toEqual(delivered);
    },
  );

  it('keeps dropping a duplicate after the original was processed and deleted', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1', 'update-1');
    const [message] = await queue.receive({ maxMessages: 1 });
    await queue.delete(message!.receiptHandle);

    // Act
    await send(queue, 'a', 'a1 again', 'update-1');

    // Assess
    expect(await queue.receive({ maxMessages: 1 })).toEqual([]);
  });

  it.each([
    { body: 'é'.repeat(8), size: 16, accepted: true },
    { body: `${'é'.repeat(8)}a`, size: 17, accepted: false },
    { body: 'a'.repeat(17), size: 17, accepted: false },
  ])('counts UTF-8 bytes: a $size-byte body is accepted: $accepted', async ({ body, size, accepted }) => {
    // Prepare
    const queue = openQueue({ maxMessageBytes: 16 });

    // Act
    const sending = send(queue, 'a', body, 'd');

    // Assess
    if (accepted) {
      await expect(sending).resolves.toBeUndefined();
    } else {
      await expect(sending).rejects.toBeInstanceOf(QueueMessageTooLargeError);
      await expect(sending).rejects.toMatchObject({ size, limit: 16 });
      expect(queue.stats().visible).toBe(0);
    }
  });

  it('defaults the size limit to 256 KiB', async () => {
    // Prepare
    const queue = openQueue();

    // Act
    const sending = send(queue, 'a', 'x'.repeat(262_145), 'd');

    // Assess
    await expect(sending).rejects.toMatchObject({ size: 262_145, limit: 262_144 });
  });

  it.each([
    { groupId: '', deduplicationId: 'd' },
    { groupId: 'g', deduplicationId: 'x'.repeat(129) },
    { groupId: 'with space', deduplicationId: 'd' },
  ])('rejects ids SQS would reject: %j', async ({ groupId, deduplicationId }) => {
    // Prepare
    const queue = openQueue();

    // Act
    const sending = queue.send({ groupId, deduplicationId, body: 'b' });

    // Assess
    await expect(sending).rejects.toBeInstanceOf(TypeError);
  });
});

describe('FileFifoQueue long polling', () => {
  it('wakes a waiting receive as soon as a message is sent', async () => {
    // Prepare
    const queue = openQueue();
    const started = performance.now();
    const polling = queue.receive({ maxMessages: 1, waitTimeMs: 10_000 });

    // Act
    await new Promise((resolve) => setTimeout(resolve, 20));
    await send(queue, 'a', 'a1');
    const batch = await polling;

    // Assess
    expect(bodies(batch)).toEqual(['a1']);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('wakes a waiting receive when a delete unblocks the next message of the group', async () => {
    // Prepare
    const queue = openQueue();
    await send(queue, 'a', 'a1');
    await send(queue, 'a', 'a2');
    const [first] = await queue.receive({ maxMessages: 1 });
    const polling = queue.receive({ maxMessages: 1, waitTimeMs: 10_000 });

    // Act
    await queue.delete(first!.receiptHandle);

    // Assess
    expect(bodies(await polling)).toEqual(['a2']);
  });

  it('returns empty once the wait time has passed', async () => {
    // Prepare
    const queue = openQueue();
    const started = performance.now();

    // Act
    const batch = await queue.receive({ maxMessages: 1, waitTimeMs: 60 });

    // Assess
    expect(batch).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('ends a pending poll with an empty batch on close, and refuses work afterwards', async () => {
    // Prepare
    const queue = openQueue();
    const polling = queue.receive({ maxMessages: 1, waitTimeMs: 10_000 });

    // Act
    await queue.close();

    // Assess
    expect(await polling).toEqual([]);
    await expect(send(queue, 'a', 'late')).rejects.toThrow(/closed/);
  });
});

describe('FileFifoQueue durability', () => {
  it('continues where a closed instance left off', async () => {
    // Prepare
    const before = openQueue();
    await send(before, 'a', 'a1');
    await send(before, 'a', 'a2');
    await send(before, 'b', 'b1');
    await before.close();

    // Act
    const after = openQueue();
    const batch = await after.receive({ maxMessages: 10 });

    // Assess
    expect(bodies(batch)).toEqual(['a1', 'b1']);
    await send(after, 'a', 'a1 again', 'a1');
    expect(after.stats()).toEqual({ visible: 1, inFlight: 2, deadLetters: 0 });
  });

  it("redelivers a crashed instance's in-flight message after its visibility timeout", async () => {
    // Prepare: the first instance takes a message and dies without deleting or closing.
    const crashed = openQueue();
    await send(crashed, 'a', 'a1');
    await send(crashed, 'a', 'a2');
    const [inFlight] = await crashed.receive({ maxMessages: 1 });

    // Act
    const restarted = openQueue();
    const beforeTimeout = await restarted.receive({ maxMessages: 10 });
    clock += VISIBILITY_MS;
    const afterTimeout = await restarted.receive({ maxMessages: 10 });

    // Assess
    expect(beforeTimeout).toEqual([]);
    expect(afterTimeout).toEqual([
      expect.objectContaining({ messageId: inFlight!.messageId, body: 'a1', receiveCount: 2 }),
    ]);
  });

  it("hands a crashed instance's in-flight message out at once when the new one releases it", async () => {
    // Prepare: the first instance takes a message and dies; the group's next message waits behind it.
    const crashed = openQueue();
    await send(crashed, 'a', 'a1');
    await send(crashed, 'a', 'a2');
    await send(crashed, 'b', 'b1');
    const taken = await crashed.receive({ maxMessages: 10 });

    // Act
    const restarted = openQueue();
    const released = await restarted.releaseInFlight();
    const again = await restarted.receive({ maxMessages: 10 });

    // Assess: both come back now, not after the visibility timeout, counted as received twice
    expect(bodies(taken)).toEqual(['a1', 'b1']);
    expect(released).toBe(2);
    expect(again.map((m) => [m.body, m.receiveCount])).toEqual([
      ['a1', 2],
      ['b1', 2],
    ]);
  });

  it('keeps its state private: dir 0700, queue.json 0600, no temp files left', async () => {
    // Prepare
    const queue = openQueue();

    // Act
    await send(queue, 'a', 'secret text', 'update-1');
    await queue.close();

    // Assess
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'queue.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['queue.json']);
  });

  it.each(['{not json', '{"v":2,"messages":[]}', 'null'])(
    'refuses to start over a corrupt queue file %j',
    async (raw) => {
      // Prepare
      await openQueue().close();
      await writeFile(join(dir, 'queue.json'), raw);

      // Act
      const opening = () => openQueue();

      // Assess
      expect(opening).toThrow(/queue\.json.*refusing to overwrite/);
    },
  );
});
