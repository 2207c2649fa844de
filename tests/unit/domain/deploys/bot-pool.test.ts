import { describe, expect, it } from 'vitest';
import { BotPoolEmptyError } from '../../../../lambdas/domain/deploys/resource-errors.ts';
import { BOT_TOKEN, BOT_TOKEN_2, deployWorld } from '../../../support/deploy-world.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const setup = () => deployWorld(new MemoryStore());

describe('BotPool', () => {
  it('keeps the token in the secrets port only and lists bots without it', async () => {
    // Prepare
    const world = setup();

    // Act
    const bot = await world.pool.add(BOT_TOKEN, 'pool_one_bot');

    // Assess
    expect(bot).toMatchObject({ id: '7000000001', username: 'pool_one_bot' });
    expect(await world.pool.list()).toEqual([bot]);
    expect(await world.secrets.get('orchestrator/bot-pool/7000000001/token')).toBe(BOT_TOKEN);
    expect(JSON.stringify(await world.store.query('projects', 'BOTPOOL'))).not.toContain(BOT_TOKEN);
  });

  it('refuses what is not a bot token', async () => {
    // Prepare
    const world = setup();

    // Act
    const adding = world.pool.add('12345:short', 'pool_one_bot');

    // Assess
    await expect(adding).rejects.toMatchObject({ code: 'invalid' });
    expect(world.secrets.names()).toEqual([]);
  });

  it('gives a bot to one project only, the same one again to that project, and takes it back', async () => {
    // Prepare
    const world = setup();
    await world.pool.add(BOT_TOKEN, 'pool_one_bot');

    // Act
    const results = await Promise.allSettled([world.pool.allocate('p1'), world.pool.allocate('p2')]);

    // Assess
    const granted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(granted).toHaveLength(1);
    expect(refused[0]?.status === 'rejected' && refused[0].reason).toBeInstanceOf(BotPoolEmptyError);
    const holder = (await world.pool.list())[0]?.projectId as string;
    expect(await world.pool.allocate(holder)).toEqual({
      id: '7000000001',
      username: 'pool_one_bot',
      secretName: 'orchestrator/bot-pool/7000000001/token',
    });
    await world.pool.release(holder);
    expect((await world.pool.list())[0]?.projectId).toBeUndefined();
  });

  it('refuses to remove a bot a project holds, and removes a free one with its token', async () => {
    // Prepare
    const world = setup();
    await world.pool.add(BOT_TOKEN, 'pool_one_bot');
    await world.pool.add(BOT_TOKEN_2, 'pool_two_bot');
    await world.pool.allocate('p1');

    // Act
    const held = (await world.pool.list()).find((b) => b.projectId === 'p1');
    const free = (await world.pool.list()).find((b) => !b.projectId);

    // Assess
    await expect(world.pool.remove(held?.id ?? '')).rejects.toMatchObject({ code: 'conflict' });
    await world.pool.remove(free?.id ?? '');
    expect((await world.pool.list()).map((b) => b.id)).toEqual([held?.id]);
    expect(world.secrets.names()).toEqual([`orchestrator/bot-pool/${held?.id}/token`]);
  });

  it('keeps the holder when a bot is added again with a new token', async () => {
    // Prepare
    const world = setup();
    await world.pool.add(BOT_TOKEN, 'pool_one_bot');
    await world.pool.allocate('p1');
    const reissued = `${BOT_TOKEN.slice(0, -1)}9`;

    // Act
    await world.pool.add(reissued, 'pool_one_bot');

    // Assess
    expect((await world.pool.list())[0]?.projectId).toBe('p1');
    expect(await world.secrets.get('orchestrator/bot-pool/7000000001/token')).toBe(reissued);
  });
});
