import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/aws/dynamodb-store.ts';
import { TABLES } from '../../lambdas/config/tables.ts';
import { portClaimsOn } from '../../lambdas/domain/deploys/port-allocator.ts';
import { BotPoolEmptyError, NoServerAvailableError } from '../../lambdas/domain/deploys/resource-errors.ts';
import type { TableName } from '../../lambdas/ports/key-value-store.ts';
import {
  ensureTables,
  type RunningDynalite,
  startDynalite,
} from '../../scripts/local-stack/dynalite-server.ts';
import { ALICE, BOB, BOT_TOKEN, type DeployWorld, deployWorld, SSH_KEY } from '../support/deploy-world.ts';

/**
 * The deployment resources against dynalite, where conditional writes race for real over HTTP
 * and there are no transactions. Each test gets tables of its own: the allocator looks at every
 * server there is.
 */
let dynalite: RunningDynalite;

beforeAll(async () => {
  dynalite = await startDynalite(undefined);
});

afterAll(async () => {
  await dynalite.stop();
});

let world: DeployWorld;

beforeEach(async () => {
  const prefix = `res-${randomUUID().slice(0, 8)}-`;
  const tableNames = Object.fromEntries(TABLES.map((t) => [t.name, `${prefix}${t.name}`])) as Record<
    TableName,
    string
  >;
  await ensureTables(dynalite.endpoint, tableNames);
  world = deployWorld(new DynamoDbStore({ tableNames, endpoint: dynalite.endpoint }));
});

const WEB = { needsBotToken: false, hasOwnBotToken: false };
const BOT = { needsBotToken: true, hasOwnBotToken: false };

async function addServer(from: number, to: number) {
  return world.inventory.add({
    host: 'deploy.example.com',
    sshUser: 'deploy',
    portRange: { from, to },
    sshKey: SSH_KEY,
  });
}

describe('Deployment resources on dynalite', () => {
  it('gives 20 projects allocating at once 20 different ports out of 25', async () => {
    // Prepare
    const server = await addServer(20000, 20024);
    const ids = Array.from({ length: 20 }, (_, i) => `project-${i}`);

    // Act
    const allocations = await Promise.all(ids.map((id) => world.resources.allocate({ id }, WEB)));

    // Assess
    const ports = allocations.map((a) => a.port);
    expect(new Set(ports).size).toBe(20);
    expect(ports.every((p) => p >= 20000 && p <= 20024)).toBe(true);
    const claims = await portClaimsOn(world.store, server.id);
    expect(claims).toHaveLength(20);
    expect(new Set(claims.map((c) => c.projectId))).toEqual(new Set(ids));
  });

  it('says no server is available when the range is full, and claims nothing for it', async () => {
    // Prepare
    const server = await addServer(20000, 20002);
    await Promise.all(['a', 'b', 'c'].map((id) => world.resources.allocate({ id }, WEB)));

    // Act
    const fourth = world.resources.allocate({ id: 'd' }, WEB);

    // Assess
    await expect(fourth).rejects.toBeInstanceOf(NoServerAvailableError);
    expect((await portClaimsOn(world.store, server.id)).map((c) => c.projectId).sort()).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('recovers a claim a crash left unrecorded on the next allocate, and leaks nothing', async () => {
    // Prepare: the claim is written, the process dies before the record
    const server = await addServer(20000, 20004);
    expect(await world.ports.claim(server.id, 20002, 'p1')).toBe(true);

    // Act
    const allocation = await world.resources.allocate({ id: 'p1' }, WEB);
    await world.resources.releaseAll('p1');

    // Assess
    expect(allocation.port).toBe(20002);
    expect(await portClaimsOn(world.store, server.id)).toEqual([]);
    expect(await world.ports.of('p1')).toBeUndefined();
    expect(await world.resources.of('p1')).toBeUndefined();
  });

  it('gives the pool bot to one project only, and back to the pool when that project is deleted', async () => {
    // Prepare
    await addServer(20000, 20009);
    await world.pool.add(BOT_TOKEN, 'pool_one_bot');
    const alices = await world.projects.create(ALICE, { name: 'shop-bot', description: 'a shop' }, 'k1');
    const bobs = await world.projects.create(BOB, { name: 'quiz-bot', description: 'a quiz' }, 'k2');

    // Act
    const results = await Promise.allSettled([
      world.resources.allocate(alices, BOT),
      world.resources.allocate(bobs, BOT),
    ]);

    // Assess
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = results.find((r) => r.status === 'rejected');
    expect(won).toBeGreaterThanOrEqual(0);
    expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(BotPoolEmptyError);
    const [winner, winnerOwner, loser] = won === 0 ? [alices, ALICE, bobs] : [bobs, BOB, alices];
    expect((await world.pool.list())[0]?.projectId).toBe(winner.id);

    await world.projects.delete(winnerOwner, winner.id);
    expect((await world.pool.list())[0]?.projectId).toBeUndefined();
    const retried = await world.resources.allocate(loser, BOT);
    expect(retried.bot?.username).toBe('pool_one_bot');
  });
});
