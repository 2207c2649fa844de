import { beforeEach, describe, expect, it } from 'vitest';
import {
  ConversationBusyError,
  ConversationLeases,
  LeaseLostError,
} from '../../../lambdas/domain/conversations/conversation-lease.ts';
import type { PendingConfirmation } from '../../../lambdas/domain/conversations/conversation-state.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';

const CHAT = 4242;
const LEASE = 120;

let clock: ManualClock;
let store: MemoryStore;
let leases: ConversationLeases;

beforeEach(() => {
  clock = new ManualClock();
  store = new MemoryStore({ now: clock.now });
  leases = new ConversationLeases(store, LEASE, clock.now);
});

const confirmation = (): PendingConfirmation => ({
  nonce: '0123456789abcdef',
  userId: CHAT,
  toolUseId: 'toolu_1',
  toolName: 'trigger_deploy',
  prompt: 'Deploy?',
  expiresAt: clock.now() + 3600,
});

describe('ConversationLeases: acquire', () => {
  it('reads an unknown chat as IDLE on its first thread', async () => {
    // Act
    const state = await leases.read(CHAT);

    // Assess
    expect(state).toEqual({ chatId: CHAT, phase: 'IDLE', threadId: `chat-${CHAT}-1`, version: 0 });
  });

  it('takes a free conversation for the owner until now + lease, in the sessions table', async () => {
    // Act
    const state = await leases.acquire(CHAT, 'worker-a');

    // Assess
    expect(state).toEqual({
      chatId: CHAT,
      phase: 'PROCESSING',
      threadId: `chat-${CHAT}-1`,
      leaseOwner: 'worker-a',
      leaseExpiresAt: clock.now() + LEASE,
      version: 1,
    });
    expect(store.dump('sessions')).toEqual([{ pk: `CONV#${CHAT}`, sk: 'STATE', ...state }]);
    expect(await leases.read(CHAT)).toEqual(state);
  });

  it.each([
    { elapsed: 0, retryAfter: LEASE + 1 },
    { elapsed: 30, retryAfter: LEASE - 30 + 1 },
    { elapsed: LEASE - 1, retryAfter: 2 },
  ])(
    'refuses another owner $elapsed s into the lease, retry after about $retryAfter s',
    async ({ elapsed, retryAfter }) => {
      // Prepare
      await leases.acquire(CHAT, 'worker-a');
      clock.advance(elapsed);

      // Act
      const taking = leases.acquire(CHAT, 'worker-b');

      // Assess
      const error = await taking.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConversationBusyError);
      expect(error).toMatchObject({ chatId: CHAT, retryAfterSeconds: retryAfter });
      expect((await leases.read(CHAT)).leaseOwner).toBe('worker-a');
    },
  );

  it('lets the same owner take its lease again (a redelivered message of the same request)', async () => {
    // Prepare
    const first = await leases.acquire(CHAT, 'worker-a');
    clock.advance(10);

    // Act
    const again = await leases.acquire(CHAT, 'worker-a');

    // Assess
    expect(again).toMatchObject({ leaseOwner: 'worker-a', leaseExpiresAt: clock.now() + LEASE });
    expect(again.version).toBe(first.version + 1);
  });

  it.each([LEASE, LEASE + 1, 10 * LEASE])(
    'lets another owner take over once the lease ran out (%i s)',
    async (elapsed) => {
      // Prepare
      await leases.acquire(CHAT, 'worker-a');
      clock.advance(elapsed);

      // Act
      const taken = await leases.acquire(CHAT, 'worker-b');

      // Assess
      expect(taken).toMatchObject({ phase: 'PROCESSING', leaseOwner: 'worker-b', version: 2 });
    },
  );

  it.each([
    { phase: 'IDLE', release: () => ({}) },
    { phase: 'AWAITING', release: () => ({ confirmation: confirmation() }) },
  ])('takes a conversation left $phase at once', async ({ release }) => {
    // Prepare
    await leases.release(await leases.acquire(CHAT, 'worker-a'), release());

    // Act
    const taken = await leases.acquire(CHAT, 'worker-b');

    // Assess
    expect(taken.leaseOwner).toBe('worker-b');
  });

  it('lets exactly one of five concurrent owners win', async () => {
    // Act
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd', 'e'].map((owner) => leases.acquire(CHAT, `worker-${owner}`)),
    );

    // Assess
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(4);
    for (const error of lost) expect(error).toBeInstanceOf(ConversationBusyError);
    const winner = won[0]?.status === 'fulfilled' ? won[0].value.leaseOwner : undefined;
    expect((await leases.read(CHAT)).leaseOwner).toBe(winner);
  });

  it('lets exactly one of five concurrent owners win over an expired lease', async () => {
    // Prepare
    await leases.acquire(CHAT, 'crashed');
    clock.advance(LEASE + 1);

    // Act
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd', 'e'].map((owner) => leases.acquire(CHAT, `worker-${owner}`)),
    );

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('ConversationLeases: holding and giving up', () => {
  it('extends the lease on heartbeat', async () => {
    // Prepare
    const held = await leases.acquire(CHAT, 'worker-a');
    clock.advance(LEASE - 5);

    // Act
    const extended = await leases.heartbeat(held);

    // Assess
    expect(extended.leaseExpiresAt).toBe(clock.now() + LEASE);
    clock.advance(10);
    await expect(leases.acquire(CHAT, 'worker-b')).rejects.toBeInstanceOf(ConversationBusyError);
  });

  it.each([
    {
      call: 'heartbeat',
      act: (held: Parameters<ConversationLeases['heartbeat']>[0]) => leases.heartbeat(held),
    },
    {
      call: 'update',
      act: (held: Parameters<ConversationLeases['heartbeat']>[0]) =>
        leases.update(held, { confirmation: confirmation() }),
    },
    { call: 'release', act: (held: Parameters<ConversationLeases['heartbeat']>[0]) => leases.release(held) },
  ])('fails $call with LeaseLostError after another worker took over, writing nothing', async ({ act }) => {
    // Prepare
    const stale = await leases.acquire(CHAT, 'worker-a');
    clock.advance(LEASE + 1);
    const taken = await leases.acquire(CHAT, 'worker-b');

    // Act
    const attempt = act(stale);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(LeaseLostError);
    expect(await leases.read(CHAT)).toEqual(taken);
  });

  it.each([
    { left: 'nothing', changes: () => ({}), phase: 'IDLE' },
    { left: 'a confirmation', changes: () => ({ confirmation: confirmation() }), phase: 'AWAITING' },
    {
      left: 'an awaited secret',
      changes: () => ({ awaitedSecret: { projectId: 'p-1', key: 'API_KEY', expiresAt: clock.now() + 900 } }),
      phase: 'AWAITING',
    },
  ])('releases to $phase when $left is pending, without owner or expiry', async ({ changes, phase }) => {
    // Prepare
    const held = await leases.acquire(CHAT, 'worker-a');

    // Act
    const released = await leases.release(held, changes());

    // Assess
    expect(released.phase).toBe(phase);
    expect(released).not.toHaveProperty('leaseOwner');
    expect(released).not.toHaveProperty('leaseExpiresAt');
    expect(await leases.read(CHAT)).toEqual(released);
  });

  it('clears a pending question with an undefined change', async () => {
    // Prepare
    const held = await leases.acquire(CHAT, 'worker-a');
    const asked = await leases.update(held, { confirmation: confirmation() });

    // Act
    const cleared = await leases.update(asked, { confirmation: undefined });
    const released = await leases.release(cleared);

    // Assess
    expect(await leases.read(CHAT)).not.toHaveProperty('confirmation');
    expect(released.phase).toBe('IDLE');
  });
});
