import { describe, expect, it } from 'vitest';
import { portClaimsOn } from '../../../../lambdas/domain/deploys/port-allocator.ts';
import {
  BotPoolEmptyError,
  NoServerAvailableError,
} from '../../../../lambdas/domain/deploys/resource-errors.ts';
import { ALICE, BOB, BOT_TOKEN, deployWorld, SSH_KEY } from '../../../support/deploy-world.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const BOT = { needsBotToken: true, hasOwnBotToken: false };
const WEB = { needsBotToken: false, hasOwnBotToken: false };

async function withServers(...ranges: Array<{ host: string; from: number; to: number }>) {
  const world = deployWorld(new MemoryStore());
  for (const r of ranges) {
    await world.inventory.add({
      host: r.host,
      sshUser: 'deploy',
      portRange: { from: r.from, to: r.to },
      sshKey: SSH_KEY,
    });
  }
  return world;
}

describe('DeploymentResources', () => {
  it('puts a project on the server with the fewest projects and records it', async () => {
    // Prepare
    const world = await withServers(
      { host: 'a.example.com', from: 20000, to: 20009 },
      { host: 'b.example.com', from: 21000, to: 21009 },
    );
    await world.resources.allocate({ id: 'p1' }, WEB);

    // Act
    const second = await world.resources.allocate({ id: 'p2' }, WEB);
    const first = await world.resources.of('p1');

    // Assess
    expect(second.serverId).not.toBe(first?.serverId);
    expect(second).toMatchObject({ projectId: 'p2', kind: 'ssh', baseDir: '/srv/orchestrator' });
    expect(second.bot).toBeUndefined();
    expect(await world.resources.of('p2')).toEqual(second);
    expect(await world.resources.allocate({ id: 'p2' }, WEB)).toEqual(second);
  });

  it('gives a pool bot only to a project that needs one and brings none', async () => {
    // Prepare
    const world = await withServers({ host: 'a.example.com', from: 20000, to: 20009 });
    await world.pool.add(BOT_TOKEN, 'pool_one_bot');

    // Act
    const own = await world.resources.allocate({ id: 'own' }, { needsBotToken: true, hasOwnBotToken: true });
    const pooled = await world.resources.allocate({ id: 'pooled' }, BOT);

    // Assess
    expect(own.bot).toBeUndefined();
    expect(pooled.bot).toEqual({
      id: '7000000001',
      username: 'pool_one_bot',
      secretName: 'orchestrator/bot-pool/7000000001/token',
    });
  });

  it('says no server is available when every port is taken', async () => {
    // Prepare
    const world = await withServers({ host: 'a.example.com', from: 20000, to: 20001 });
    await world.resources.allocate({ id: 'p1' }, WEB);
    await world.resources.allocate({ id: 'p2' }, WEB);

    // Act
    const third = world.resources.allocate({ id: 'p3' }, WEB);

    // Assess
    await expect(third).rejects.toBeInstanceOf(NoServerAvailableError);
  });

  it('gives the port back when the pool has no bot for the project', async () => {
    // Prepare
    const world = await withServers({ host: 'a.example.com', from: 20000, to: 20009 });

    // Act
    const allocating = world.resources.allocate({ id: 'p1' }, BOT);

    // Assess
    await expect(allocating).rejects.toBeInstanceOf(BotPoolEmptyError);
    expect(await portClaimsOn(world.store, 'a-example-com')).toEqual([]);
    expect(await world.resources.of('p1')).toBeUndefined();
  });

  it('finishes an allocation a crash cut short on the server it had claimed', async () => {
    // Prepare
    const world = await withServers(
      { host: 'a.example.com', from: 20000, to: 20009 },
      { host: 'b.example.com', from: 21000, to: 21009 },
    );
    await world.ports.claim('b-example-com', 21005, 'p1');

    // Act
    const allocation = await world.resources.allocate({ id: 'p1' }, WEB);

    // Assess
    expect(allocation).toMatchObject({ serverId: 'b-example-com', port: 21005 });
  });

  it('gives everything back when the project is deleted, with its secrets and records', async () => {
    // Prepare
    const world = await withServers({ host: 'a.example.com', from: 20000, to: 20009 });
    await world.pool.add(BOT_TOKEN, 'pool_one_bot');
    const project = await world.projects.create(ALICE, { name: 'shop-bot', description: 'a shop' }, 'k1');
    await world.projects.addSecretKey(ALICE, project.id, 'OPENAI_API_KEY');
    await world.vault.storeForProject(project.id, 'OPENAI_API_KEY', 'sk-value');
    await world.resources.allocate(project, BOT);

    // Act
    const refused = world.projects.delete(BOB, project.id);
    await expect(refused).rejects.toMatchObject({ code: 'not_found' });
    await world.projects.delete(ALICE, 'shop-bot');

    // Assess
    expect(await portClaimsOn(world.store, 'a-example-com')).toEqual([]);
    expect((await world.pool.list())[0]?.projectId).toBeUndefined();
    expect(world.secrets.names()).not.toContain(`projects/${project.id}/OPENAI_API_KEY`);
    expect((await world.store.query('projects', `PROJECT#${project.id}`)).items).toEqual([]);
    expect(await world.projects.list(ALICE)).toEqual([]);
    const next = await world.resources.allocate({ id: 'next' }, BOT);
    expect(next.bot?.username).toBe('pool_one_bot');
  });
});
