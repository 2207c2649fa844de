import { describe, expect, it, vi } from 'vitest';
import type { AgentTool, ToolContext } from '../../../lambdas/domain/agent/agent-tool.ts';
import {
  addPoolBot,
  addServer,
  listBotPool,
  listServers,
  removePoolBot,
  removeServer,
} from '../../../lambdas/domain/agent/tools/admin-tools.ts';
import { deleteProject, getProject } from '../../../lambdas/domain/agent/tools/project-tools.ts';
import { DomainError } from '../../../lambdas/domain/errors.ts';
import { ADMIN, ALICE, BOB, BOT_TOKEN, SSH_KEY } from '../../support/deploy-world.ts';
import { agentWorld } from '../../support/product-owner-world.ts';
import { RecordingChat } from '../../support/recording-chat.ts';

function setup() {
  const world = agentWorld({ chat: new RecordingChat() });
  const botLookup = { getMe: vi.fn(async () => ({ username: 'pool_one_bot' })) };
  const context = (principal: typeof ALICE, key = 'toolu_1'): ToolContext => ({
    principal,
    chatId: principal.userId,
    threadId: `chat-${principal.userId}-1`,
    idempotencyKey: key,
    services: {
      projects: world.projects,
      chat: world.chat,
      vault: world.vault,
      users: world.directory,
      usage: world.usage,
      resources: world.resources,
      servers: world.servers,
      botPool: world.botPool,
      botLookup,
    },
  });
  return { world, context, botLookup };
}

const ADMIN_CALLS: Array<[string, AgentTool, Record<string, unknown>]> = [
  ['list_servers', listServers, {}],
  ['add_server', addServer, { host: '203.0.113.5', user: 'deploy', secretRef: 'aaaaaaaaaaaa' }],
  ['remove_server', removeServer, { server: 'local' }],
  ['add_pool_bot', addPoolBot, { secretRef: 'aaaaaaaaaaaa' }],
  ['list_bot_pool', listBotPool, {}],
  ['remove_pool_bot', removePoolBot, { bot: '7000000001' }],
];

describe('admin tools', () => {
  it.each(ADMIN_CALLS)(
    'refuse %s to a user, even called directly, and change nothing',
    async (_name, tool, input) => {
      // Prepare
      const { world, context } = setup();
      await world.servers.ensureLocal('/srv/apps');
      await world.botPool.add(BOT_TOKEN, 'pool_one_bot');
      const ref = await world.vault.stash(ALICE.userId, SSH_KEY);

      // Act
      const running = tool.run({ ...input, ...(input.secretRef ? { secretRef: ref } : {}) }, context(ALICE));

      // Assess
      await expect(running).rejects.toMatchObject({ code: 'forbidden' });
      await expect(running).rejects.toBeInstanceOf(DomainError);
      expect((await world.servers.list()).map((s) => s.id)).toEqual(['local']);
      expect((await world.botPool.list()).map((b) => b.id)).toEqual(['7000000001']);
    },
  );

  it('refuse the remove_server confirmation to a user, so it does not reveal the server', async () => {
    // Prepare
    const { world, context } = setup();
    await world.servers.ensureLocal('/srv/apps');

    // Act
    const asking = removeServer.confirmation?.({ server: 'local' }, context(ALICE));

    // Assess
    await expect(asking).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('add a server from a stash the admin owns, with no key in the result, and replay to the same server', async () => {
    // Prepare
    const { world, context } = setup();
    const ref = await world.vault.stash(ADMIN.userId, SSH_KEY);
    const input = { host: '203.0.113.5', user: 'deploy', ports: { from: 20000, to: 20010 }, secretRef: ref };

    // Act
    const first = await addServer.run(input, context(ADMIN, 'toolu_7'));
    const replayed = await addServer.run(input, context(ADMIN, 'toolu_7'));

    // Assess
    expect(first.result).toEqual({
      kind: 'server_added',
      server: {
        id: '203-0-113-5',
        host: '203.0.113.5',
        sshUser: 'deploy',
        sshPort: 22,
        kind: 'ssh',
        baseDir: '/srv/orchestrator',
        portRange: { from: 20000, to: 20010 },
        projects: 0,
      },
    });
    expect(replayed.result).toEqual(first.result);
    expect(JSON.stringify(first)).not.toContain('PRIVATE KEY');
    expect(world.secrets.names()).toEqual(['orchestrator/servers/203-0-113-5/ssh-key']);
  });

  it("do not let an admin claim another person's stash", async () => {
    // Prepare
    const { world, context } = setup();
    const ref = await world.vault.stash(ALICE.userId, SSH_KEY);

    // Act
    const adding = addServer.run({ host: '203.0.113.5', user: 'deploy', secretRef: ref }, context(ADMIN));

    // Assess
    await expect(adding).rejects.toMatchObject({ code: 'not_found' });
    expect(await world.servers.list()).toEqual([]);
  });

  it('add a pool bot under the username Telegram gives, and refuse one Telegram does not know', async () => {
    // Prepare
    const { world, context, botLookup } = setup();
    const good = await world.vault.stash(ADMIN.userId, BOT_TOKEN);
    const bad = await world.vault.stash(ADMIN.userId, BOT_TOKEN.replace('7000000001', '7000000002'));

    // Act
    const added = await addPoolBot.run({ secretRef: good }, context(ADMIN));
    botLookup.getMe.mockRejectedValueOnce(new Error('401'));
    const refused = addPoolBot.run({ secretRef: bad }, context(ADMIN));

    // Assess
    expect(added.result).toEqual({
      kind: 'pool_bot_added',
      bot: { id: '7000000001', username: 'pool_one_bot' },
    });
    await expect(refused).rejects.toThrow('Telegram did not accept it');
    expect((await world.botPool.list()).map((b) => b.id)).toEqual(['7000000001']);
  });
});

describe('project tools and resources', () => {
  it("show the project's own allocation to its owner and an admin, and not to another user", async () => {
    // Prepare
    const { world, context } = setup();
    await world.servers.ensureLocal('/srv/apps');
    await world.botPool.add(BOT_TOKEN, 'pool_one_bot');
    const project = await world.projects.create(ALICE, { name: 'shop-bot', description: 'a shop' }, 'k1');
    const allocation = await world.resources.allocate(project, {
      needsBotToken: true,
      hasOwnBotToken: false,
    });

    // Act
    const own = await getProject.run({ project: 'shop-bot' }, context(ALICE));
    const admins = await getProject.run({ project: project.id }, context(ADMIN));
    const other = getProject.run({ project: project.id }, context(BOB));

    // Assess
    const expected = {
      serverId: 'local',
      host: '127.0.0.1',
      port: allocation.port,
      botUsername: 'pool_one_bot',
    };
    expect(own.result).toMatchObject({ kind: 'project_shown', allocation: expected });
    expect(admins.result).toMatchObject({ allocation: expected });
    await expect(other).rejects.toMatchObject({ code: 'not_found' });
    expect(JSON.stringify(own.result)).not.toContain('bot-pool/');
  });

  it("delete_project asks first, and another user's project is not found", async () => {
    // Prepare
    const { world, context } = setup();
    const project = await world.projects.create(ALICE, { name: 'shop-bot', description: 'a shop' }, 'k1');

    // Act
    const question = await deleteProject.confirmation?.({ project: 'shop-bot' }, context(ALICE));
    const bobs = deleteProject.run({ project: project.id }, context(BOB));

    // Assess
    expect(question).toContain(`Delete shop-bot (id ${project.id}) for good?`);
    await expect(bobs).rejects.toMatchObject({ code: 'not_found' });
    expect(await world.projects.list(ALICE)).toHaveLength(1);
    const done = await deleteProject.run({ project: 'shop-bot' }, context(ALICE));
    expect(done.result).toEqual({ kind: 'project_deleted', project: { id: project.id, name: 'shop-bot' } });
    expect(await world.projects.list(ALICE)).toEqual([]);
  });
});
