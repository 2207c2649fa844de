import type { Update } from 'grammy/types';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { OfflineModel } from '../../../lambdas/adapters/llm/offline-model.ts';
import { TelegramChat } from '../../../lambdas/adapters/telegram/telegram-chat.ts';
import { createConsumerBot } from '../../../lambdas/bot/consumer-bot.ts';
import { AccessControl } from '../../../lambdas/domain/access/access-control.ts';
import { UserDirectory } from '../../../lambdas/domain/access/user-directory.ts';
import type { BotIdentityLookup } from '../../../lambdas/domain/chat-secrets/bot-token-verifier.ts';
import { portClaimsOn } from '../../../lambdas/domain/deploys/port-allocator.ts';
import type { ChatSession } from '../../../lambdas/domain/sessions/chat-session.ts';
import { SessionRepository } from '../../../lambdas/domain/sessions/session-repository.ts';
import type { TableName } from '../../../lambdas/ports/key-value-store.ts';
import { botInfoFrom } from '../../../lambdas/shared/bot-identity.ts';
import { createLogger } from '../../../lambdas/shared/logger.ts';
import { actionsIn, transcriptOf } from '../../support/agent-transcript.ts';
import { BOT_TOKEN, SSH_KEY } from '../../support/deploy-world.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';
import { type AgentWorld, agentWorld, intakeIn, productOwnerIn } from '../../support/product-owner-world.ts';
import {
  callbackQuery,
  privateText,
  recordTelegramApi,
  type TelegramApiRecorder,
} from '../../support/telegram-api-recorder.ts';

/**
 * Server and bot-pool administration through the whole consumer path, offline model included:
 * the key or token is pasted, taken out of the chat and stashed; the command claims it by
 * reference. Then no stored item and no message the bot sent may hold the value.
 */
const TOKEN = '7000000009:orchestrator-test-token-not-a-real-one';
const ADMIN = 1001;
const ALICE = 2002;
const BOB = 3003;
const TABLES: TableName[] = ['users', 'sessions', 'dedup', 'projects', 'checkpoints', 'usage'];
// A line of the key's body: present wherever any part of the key leaked.
const KEY_BODY = SSH_KEY.split('\n')[1] ?? '';

let store: MemoryStore;
let world: AgentWorld;
let telegram: TelegramApiRecorder;
let bot: ReturnType<typeof createConsumerBot>;
let everything: string[];

beforeEach(async () => {
  const clock = new ManualClock();
  store = new MemoryStore({ now: clock.now });
  const directory = new UserDirectory(store);
  const botLookup: BotIdentityLookup = { getMe: vi.fn(async () => ({ username: 'pool_one_bot' })) };
  bot = createConsumerBot({
    token: TOKEN,
    botInfo: botInfoFrom(TOKEN, 'orchestrator_bot'),
    apiRoot: 'http://127.0.0.1:9',
    access: new AccessControl(new Set([ADMIN]), directory),
    directory,
    sessions: new SessionRepository<ChatSession>(store, 3600, clock.now),
    agent: (api) => {
      world = agentWorld({ chat: new TelegramChat(api), store, clock });
      const model = new OfflineModel();
      return {
        productOwner: productOwnerIn(world, { intent: model, agent: model }, { services: { botLookup } }),
        intake: intakeIn(world, botLookup),
        usage: world.usage,
        offline: true,
      };
    },
    logger: createLogger('resource-admin-test'),
  });
  telegram = recordTelegramApi(bot);
  everything = [];
  for (const userId of [ALICE, BOB]) {
    await directory.admit({ userId, admittedBy: ADMIN, admittedAt: '2026-01-01T00:00:00.000Z' });
  }
});

/** Handles the update; returns what the bot sent, and keeps every text it sent for the leak check. */
async function send(update: Update): Promise<string[]> {
  telegram.clear();
  await bot.handleUpdate(update);
  const texts = telegram.sentTexts();
  everything.push(...texts, ...telegram.callsTo('editMessageText').map((c) => String(c.payload.text)));
  return texts;
}

const say = (userId: number, text: string) => send(privateText(userId, text));

/** Every stored item of every table (transcripts, journal, checkpoints...) and every sent text. */
function expectNowhere(value: string): void {
  for (const table of TABLES) expect(JSON.stringify(store.dump(table))).not.toContain(value);
  expect(everything.join('\n')).not.toContain(value);
}

async function pressConfirm(userId: number): Promise<string[]> {
  const question = telegram.callsTo('sendMessage').at(-1)?.payload as {
    reply_markup?: { inline_keyboard: Array<Array<{ callback_data: string }>> };
  };
  const data = question.reply_markup?.inline_keyboard[0]?.[0]?.callback_data ?? '';
  return send(callbackQuery(userId, data));
}

describe('resource administration in the chat (offline model)', () => {
  it('adds a server with the SSH key pasted before the command, and the key is stored only as a secret', async () => {
    // Prepare
    const pasted = await send(privateText(ADMIN, SSH_KEY, { messageId: 77 }));

    // Act
    const replies = await say(ADMIN, 'add server 203.0.113.5 user deploy port 2222 ports 20000-20024');
    const listed = await say(ADMIN, 'servers');

    // Assess
    expect(telegram.callsTo('deleteMessage')).toEqual([]);
    expect(pasted.join('\n')).toContain('add server <host> user <name>');
    expect(replies).toEqual([
      'Added server 203-0-113-5 (203.0.113.5, ports 20000-20024). Its SSH key is stored encrypted.',
    ]);
    expect(listed.join('\n')).toContain('203-0-113-5: deploy@203.0.113.5:2222');
    expect(world.secrets.names()).toEqual(['orchestrator/servers/203-0-113-5/ssh-key']);
    expect(await world.servers.sshKey({ id: '203-0-113-5', kind: 'ssh' })).toBe(`${SSH_KEY}\n`);
    const [add] = actionsIn(await transcriptOf(store, ADMIN)).filter((a) => a.name === 'add_server');
    expect(add?.input).toEqual({
      host: '203.0.113.5',
      user: 'deploy',
      sshPort: 2222,
      ports: { from: 20000, to: 20024 },
      secretRef: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expectNowhere(KEY_BODY);
    expectNowhere('PRIVATE KEY-----');
  });

  it('adds a server with the key pasted below the command in the same message', async () => {
    // Act
    const replies = await say(ADMIN, `add server deploy.example.com user deploy\n${SSH_KEY}`);

    // Assess
    expect(replies.at(-1)).toContain('Added server deploy-example-com');
    expect(world.secrets.names()).toEqual(['orchestrator/servers/deploy-example-com/ssh-key']);
    expectNowhere(KEY_BODY);
  });

  it('asks for the key when none was pasted, and adds nothing', async () => {
    // Act
    const replies = await say(ADMIN, 'add server 203.0.113.5 user deploy');

    // Assess
    expect(replies.join('\n')).toContain('Paste the server');
    expect(await world.servers.list()).toEqual([]);
  });

  it('adds a pool bot from a pasted token, lists it without the token, and removes it', async () => {
    // Prepare
    await say(ADMIN, BOT_TOKEN);

    // Act
    const added = await say(ADMIN, 'add pool bot');
    const listed = await say(ADMIN, 'bot pool');
    const removed = await say(ADMIN, 'remove pool bot @pool_one_bot');

    // Assess
    expect(added).toEqual(['Added @pool_one_bot to the bot pool. Its token is stored encrypted.']);
    expect(listed.join('\n')).toContain('@pool_one_bot (id 7000000001): free');
    expect(removed).toEqual(['Removed @pool_one_bot from the bot pool and deleted its token.']);
    expect(world.secrets.names()).toEqual([]);
    expectNowhere(BOT_TOKEN);
    expectNowhere(BOT_TOKEN.split(':')[1] ?? '');
  });

  it.each([
    'servers',
    'add server 203.0.113.5 user deploy',
    'remove server local',
    'add pool bot',
    'bot pool',
  ])('refuses "%s" to a user who is not an admin', async (command) => {
    // Prepare
    await world.servers.ensureLocal('/srv/apps');

    // Act
    const replies = await say(ALICE, command);

    // Assess
    expect(replies).toEqual([
      'I cannot do that here: it needs the admin tools, which are not available to you.',
    ]);
    const called = actionsIn(await transcriptOf(store, ALICE)).map((a) => a.name);
    expect(called).toEqual([]);
    expect(await world.servers.list()).toHaveLength(1);
  });

  it('shows a person where their project runs, and another person nothing of it', async () => {
    // Prepare
    await world.servers.ensureLocal('/srv/apps');
    await say(ALICE, 'create project shop-bot: a shop');
    const [project] = await world.projects.list({ userId: ALICE, role: 'user' });
    const allocation = await world.resources.allocate(
      { id: project?.id ?? '' },
      { needsBotToken: false, hasOwnBotToken: false },
    );

    // Act
    const own = await say(ALICE, 'status of shop-bot');
    const other = await say(BOB, `status of ${project?.id}`);

    // Assess
    expect(own.join('\n')).toContain(`It runs on 127.0.0.1 (server local) port ${allocation.port}.`);
    expect(other.join('\n')).toContain('not found');
    expect(other.join('\n')).not.toContain(String(allocation.port));
  });

  it('deletes a project after the owner confirms, and frees its port and pool bot', async () => {
    // Prepare
    await world.servers.ensureLocal('/srv/apps');
    await world.botPool.add(BOT_TOKEN, 'pool_one_bot');
    await say(ALICE, 'create project shop-bot: a shop');
    const [project] = await world.projects.list({ userId: ALICE, role: 'user' });
    await world.resources.allocate({ id: project?.id ?? '' }, { needsBotToken: true, hasOwnBotToken: false });

    // Act
    const question = await say(ALICE, 'delete shop-bot');
    const replies = await pressConfirm(ALICE);

    // Assess
    expect(question.join('\n')).toContain('Delete shop-bot');
    expect(replies.join('\n')).toContain('Deleted shop-bot');
    expect(await world.projects.list({ userId: ALICE, role: 'user' })).toEqual([]);
    expect(await portClaimsOn(store, 'local')).toEqual([]);
    expect((await world.botPool.list())[0]?.projectId).toBeUndefined();
  });
});
