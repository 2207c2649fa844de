import type { Update } from 'grammy/types';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reportResult } from '../../../lambdas/adapters/llm/offline/replies.ts';
import { OfflineModel } from '../../../lambdas/adapters/llm/offline-model.ts';
import { TelegramChat } from '../../../lambdas/adapters/telegram/telegram-chat.ts';
import { createConsumerBot } from '../../../lambdas/bot/consumer-bot.ts';
import { MESSAGES } from '../../../lambdas/bot/messages.ts';
import { AccessControl } from '../../../lambdas/domain/access/access-control.ts';
import { UserDirectory } from '../../../lambdas/domain/access/user-directory.ts';
import type { BotIdentityLookup } from '../../../lambdas/domain/chat-secrets/bot-token-verifier.ts';
import type { ChatSession } from '../../../lambdas/domain/sessions/chat-session.ts';
import { SessionRepository } from '../../../lambdas/domain/sessions/session-repository.ts';
import { botInfoFrom } from '../../../lambdas/shared/bot-identity.ts';
import { createLogger } from '../../../lambdas/shared/logger.ts';
import { resultsIn, systemNotesIn, transcriptOf } from '../../support/agent-transcript.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';
import { type AgentWorld, agentWorld, intakeIn, productOwnerIn } from '../../support/product-owner-world.ts';
import {
  callbackQuery,
  groupText,
  nextUpdateId,
  privateCommand,
  privateText,
  recordTelegramApi,
  type TelegramApiRecorder,
  telegramUser,
} from '../../support/telegram-api-recorder.ts';

const TOKEN = '7000000001:test-token';
const ADMIN = 1001;
const USER = 2002;
const STRANGER = 3003;
const SESSION_TTL = 90 * 24 * 3600;
/** The offline model's answer to "list my projects" for someone without projects: a marker of the reply. */
const NO_PROJECTS = reportResult({ kind: 'projects_listed', projects: [] }, '');

let clock: ManualClock;
let store: MemoryStore;
let directory: UserDirectory;
let world: AgentWorld;
let botLookup: BotIdentityLookup;
let telegram: TelegramApiRecorder;
let bot: ReturnType<typeof createConsumerBot>;

beforeEach(() => {
  clock = new ManualClock();
  store = new MemoryStore({ now: clock.now });
  directory = new UserDirectory(store);
  botLookup = { getMe: vi.fn(async () => ({ username: 'weather_bot' })) };
  bot = createConsumerBot({
    token: TOKEN,
    botInfo: botInfoFrom(TOKEN, 'orchestrator_bot'),
    apiRoot: 'http://127.0.0.1:9',
    access: new AccessControl(new Set([ADMIN]), directory),
    directory,
    sessions: new SessionRepository<ChatSession>(store, SESSION_TTL, clock.now),
    // The agent as product-owner-wiring.ts builds it, on the offline model and this bot's API.
    agent: (api) => {
      world = agentWorld({ chat: new TelegramChat(api), store, clock });
      const model = new OfflineModel();
      return {
        productOwner: productOwnerIn(world, { intent: model, agent: model }),
        intake: intakeIn(world, botLookup),
        usage: world.usage,
        offline: true,
      };
    },
    logger: createLogger('consumer-bot-test'),
  });
  telegram = recordTelegramApi(bot);
});

const admit = (userId: number, displayName?: string) =>
  directory.admit({
    userId,
    admittedBy: ADMIN,
    admittedAt: '2026-01-01T00:00:00.000Z',
    ...(displayName ? { displayName } : {}),
  });

/** Handles the update and returns what the bot sent to the sender's chat. */
async function send(update: Update): Promise<string[]> {
  telegram.clear();
  await bot.handleUpdate(update);
  return telegram.sentTexts();
}

/** The chat sessions (the conversation leases share the sessions table under CONV#). */
const chatSessions = () => store.dump('sessions').filter((item) => item.pk.startsWith('SESSION#'));
const messageCount = (chatId: number) =>
  (chatSessions().find((s) => s.pk === `SESSION#${chatId}`)?.data as ChatSession | undefined)?.messageCount;

describe('consumer bot: welcome', () => {
  it.each([
    { who: 'an admin', userId: ADMIN },
    { who: 'an admitted user', userId: USER },
  ])('greets $who by first name on /start', async ({ userId }) => {
    // Prepare
    await admit(USER);

    // Act
    const replies = await send(privateCommand(userId, 'start', '', { firstName: 'Ada' }));

    // Assess
    expect(replies).toEqual([MESSAGES.welcome('Ada')]);
    expect(telegram.calls[0]?.payload.chat_id).toBe(userId);
  });

  it('lists the admin commands in the help for an admin', async () => {
    // Act
    const [help] = await send(privateCommand(ADMIN, 'help'));

    // Assess
    expect(help).toContain('/help');
    expect(help).toContain('/adduser');
    expect(help).toContain('/removeuser');
    expect(help).toContain('/users');
  });

  it('says in the help that the offline model is answering', async () => {
    // Act
    const [help] = await send(privateCommand(ADMIN, 'help'));

    // Assess
    expect(help).toContain(MESSAGES.offlineModel);
  });

  it('keeps the admin commands out of the help for a user', async () => {
    // Prepare
    await admit(USER);

    // Act
    const [help] = await send(privateCommand(USER, 'help'));

    // Assess
    expect(help).toContain('/help');
    expect(help).not.toMatch(/adduser|removeuser|\/users|Admin/);
  });
});

describe('consumer bot: conversation and session', () => {
  it('counts messages in the chat session across updates and keeps it in the sessions table', async () => {
    // Act
    const first = await send(privateText(ADMIN, 'list my projects'));
    clock.advance(60);
    const second = await send(privateText(ADMIN, 'list my projects'));

    // Assess
    expect(first).toEqual([NO_PROJECTS]);
    expect(second).toEqual([NO_PROJECTS]);
    expect(chatSessions()).toEqual([
      expect.objectContaining({
        pk: `SESSION#${ADMIN}`,
        sk: 'CHAT',
        data: expect.objectContaining({ messageCount: 2 }),
        expiresAt: clock.now() + SESSION_TTL,
      }),
    ]);
  });

  it('keeps one session per chat, beside each chat’s conversation with the agent', async () => {
    // Prepare
    await admit(USER);

    // Act
    await send(privateText(ADMIN, 'one'));
    await send(privateText(ADMIN, 'two'));
    const userReply = await send(privateText(USER, 'list my projects'));

    // Assess
    expect(userReply).toEqual([NO_PROJECTS]);
    expect(
      chatSessions()
        .map((s) => s.pk)
        .sort(),
    ).toEqual([`SESSION#${ADMIN}`, `SESSION#${USER}`]);
    expect([messageCount(ADMIN), messageCount(USER)]).toEqual([2, 1]);
    expect(
      store
        .dump('sessions')
        .filter((item) => item.pk.startsWith('CONV#'))
        .map((item) => [item.pk, item.phase]),
    ).toEqual([
      [`CONV#${ADMIN}`, 'IDLE'],
      [`CONV#${USER}`, 'IDLE'],
    ]);
  });

  it('starts a new count once the session has expired', async () => {
    // Prepare
    await send(privateText(ADMIN, 'one'));
    await send(privateText(ADMIN, 'two'));

    // Act
    clock.advance(SESSION_TTL + 1);
    const replies = await send(privateText(ADMIN, 'list my projects'));

    // Assess
    expect(replies).toEqual([NO_PROJECTS]);
    expect(messageCount(ADMIN)).toBe(1);
  });

  it('answers a message without text with the unsupported notice and does not count it', async () => {
    // Prepare
    const sticker = privateText(ADMIN, 'ignored');
    delete sticker.message?.text;
    Object.assign(sticker.message ?? {}, { sticker: { file_id: 'f', file_unique_id: 'u', type: 'regular' } });

    // Act
    const replies = await send(sticker);
    const next = await send(privateText(ADMIN, 'list my projects'));

    // Assess
    expect(replies).toEqual([MESSAGES.unsupported]);
    expect(next).toEqual([NO_PROJECTS]);
    expect(messageCount(ADMIN)).toBe(1);
  });

  it('answers an unknown command without asking the agent', async () => {
    // Act
    const replies = await send(privateCommand(ADMIN, 'frobnicate'));

    // Assess
    expect(replies).toEqual([MESSAGES.unknownCommand]);
    expect(await world.usage.userTotals(ADMIN)).toMatchObject({ calls: 0 });
  });

  it('refuses a text longer than Telegram allows without asking the agent', async () => {
    // Act
    const replies = await send(privateText(ADMIN, 'x'.repeat(4097)));

    // Assess
    expect(replies).toEqual([MESSAGES.tooLong(4096)]);
    expect(await world.usage.userTotals(ADMIN)).toMatchObject({ calls: 0 });
  });
});

describe('consumer bot: the Product Owner agent', () => {
  it('creates a project for the sender from a plain request', async () => {
    // Prepare
    await admit(USER);

    // Act
    const replies = await send(privateText(USER, 'create project bot-number-3: a bot'));

    // Assess
    expect(replies).toHaveLength(1);
    const projects = await world.projects.list({ userId: USER, role: 'user' });
    expect(projects.map((p) => [p.name, p.ownerId])).toEqual([['bot-number-3', USER]]);
    expect(await world.projects.list({ userId: ADMIN, role: 'admin' }, 'mine')).toEqual([]);
  });

  it('deletes a pasted secret, stores it, and never echoes it', async () => {
    // Prepare
    const key = `sk-${'A1b2C3d4'.repeat(3)}`;
    const update = privateText(ADMIN, `my openai key is ${key}`, { messageId: 321 });

    // Act
    const replies = await send(update);

    // Assess
    expect(telegram.callsTo('deleteMessage').map((c) => c.payload)).toEqual([
      { chat_id: ADMIN, message_id: 321 },
    ]);
    expect(replies[0]).toBe('I removed your message because it contained a secret; it is stored encrypted.');
    expect(replies.join('\n')).not.toContain(key);
    expect(world.secrets.names()).toEqual([
      expect.stringMatching(new RegExp(`^chat-secrets/${ADMIN}/[0-9a-f]{12}$`)),
    ]);
  });

  it.each([
    {
      what: 'an edited message',
      update: (text: string): Update => ({
        update_id: nextUpdateId(),
        edited_message: {
          message_id: 321,
          date: 1,
          edit_date: 2,
          chat: { id: ADMIN, type: 'private', first_name: 'Admin' },
          from: telegramUser(ADMIN),
          text,
        },
      }),
    },
    {
      what: 'a photo caption',
      update: (text: string): Update => ({
        update_id: nextUpdateId(),
        message: {
          message_id: 321,
          date: 1,
          chat: { id: ADMIN, type: 'private', first_name: 'Admin' },
          from: telegramUser(ADMIN),
          photo: [{ file_id: 'f', file_unique_id: 'u', width: 1, height: 1 }],
          caption: text,
        },
      }),
    },
  ])(
    'takes a secret out of $what as from a plain message, for the project the person names next',
    async ({ update }) => {
      // Prepare
      const key = `ghp_${'a1B2c3D4e5'.repeat(4).slice(0, 36)}`;
      await send(privateText(ADMIN, 'create project shop-bot: a shop'));

      // Act
      const replies = await send(update(`here is my token ${key}`));
      const stashed = world.secrets.names();
      await send(privateText(ADMIN, 'store secrets for shop-bot'));

      // Assess
      expect(telegram.callsTo('deleteMessage').map((c) => c.payload)).toEqual([]);
      expect(replies.join('\n')).not.toContain(key);
      expect(stashed).toEqual([expect.stringMatching(new RegExp(`^chat-secrets/${ADMIN}/[0-9a-f]{12}$`))]);
      expect(systemNotesIn(await transcriptOf(store, ADMIN))).toEqual([
        { kind: 'secrets_withheld', secrets: [{ ref: expect.any(String), kind: 'GITHUB_TOKEN' }] },
      ]);
      const [project] = await world.projects.list({ userId: ADMIN, role: 'admin' });
      expect(world.secrets.names()).toEqual([`projects/${project?.id}/GITHUB_TOKEN`]);
    },
  );

  it('tells the person an edit is not read, and deletes nothing, when it holds no secret', async () => {
    // Act
    const replies = await send({
      update_id: nextUpdateId(),
      edited_message: {
        message_id: 5,
        date: 1,
        edit_date: 2,
        chat: { id: ADMIN, type: 'private', first_name: 'Admin' },
        from: telegramUser(ADMIN),
        text: 'make me a different bot',
      },
    });

    // Assess
    expect(replies).toEqual([MESSAGES.editsNotRead]);
    expect(telegram.callsTo('deleteMessage')).toEqual([]);
  });

  it('asks before deploying and deploys once the sender presses Confirm', async () => {
    // Prepare
    await send(privateText(ADMIN, 'create project shop-bot: a shop'));
    await send(privateText(ADMIN, 'deploy shop-bot'));
    const question = telegram.callsTo('sendMessage').at(-1)?.payload as {
      text: string;
      reply_markup: { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };
    };
    const confirm = question.reply_markup.inline_keyboard[0]?.[0]?.callback_data ?? '';

    // Act
    const replies = await send(callbackQuery(ADMIN, confirm));

    // Assess
    expect(question.text).toBe('Deploy shop-bot to its server now?');
    expect(confirm).toMatch(/^cf:[0-9a-f]{16}:y$/);
    expect(telegram.callsTo('answerCallbackQuery')).toHaveLength(1);
    // The button is answered before the turn's work, so the spinner stops at once.
    expect(telegram.calls[0]?.method).toBe('answerCallbackQuery');
    expect(telegram.callsTo('editMessageText').map((c) => c.payload.text)).toEqual([
      'Deploy shop-bot to its server now?\n\nConfirmed.',
    ]);
    expect(replies).toHaveLength(1);
    const results = resultsIn(await transcriptOf(store, ADMIN));
    expect(results.find((r) => r.kind === 'pipeline_not_available')).toMatchObject({ pipeline: 'devops' });
  });

  it('answers a forged button at once, then says it is no longer valid, and runs nothing', async () => {
    // Act
    const replies = await send(callbackQuery(ADMIN, 'cf:0123456789abcdef:y'));

    // Assess
    expect(telegram.calls[0]?.method).toBe('answerCallbackQuery');
    expect(replies).toEqual([MESSAGES.buttonStale]);
    expect(store.dump('usage')).toEqual([]);
  });

  it('answers a button of another shape as no longer valid and runs nothing', async () => {
    // Act
    const replies = await send(callbackQuery(ADMIN, 'something-else'));

    // Assess
    expect(replies).toEqual([]);
    expect(telegram.callsTo('answerCallbackQuery').map((c) => c.payload.text)).toEqual([
      MESSAGES.buttonStale,
    ]);
  });

  it('reports the model usage of the sender on /usage', async () => {
    // Prepare
    await send(privateText(ADMIN, 'list my projects'));

    // Act
    const [report] = await send(privateCommand(ADMIN, 'usage'));

    // Assess
    expect(report).toMatch(/^You, this month: [1-9]\d* model calls/);
    expect(report).toContain('Everyone, all time:');
  });
});

describe('consumer bot: who gets an answer', () => {
  it('refuses a user without access once and stores nothing', async () => {
    // Act
    const replies = await send(privateText(STRANGER, 'hello?'));

    // Assess
    expect(replies).toEqual([MESSAGES.refusal]);
    expect(store.size()).toBe(0);
  });

  it("refuses a stranger's button press and stops its spinner", async () => {
    // Act
    const replies = await send(callbackQuery(STRANGER, 'cf:0123456789abcdef:y'));

    // Assess
    expect(replies).toEqual([MESSAGES.refusal]);
    expect(telegram.callsTo('answerCallbackQuery')).toHaveLength(1);
    expect(store.size()).toBe(0);
  });

  it('says nothing in a group, even to an admin', async () => {
    // Act
    const replies = await send(groupText(ADMIN, '/help'));

    // Assess
    expect(replies).toEqual([]);
    expect(store.size()).toBe(0);
  });

  it('stops answering a user once removed, even for an update queued before', async () => {
    // Prepare
    await admit(USER);
    const queued = privateText(USER, 'sent before removal');
    await directory.remove(USER);

    // Act
    const replies = await send(queued);

    // Assess
    expect(replies).toEqual([MESSAGES.refusal]);
  });
});

describe('consumer bot: /adduser', () => {
  it('admits a user with a name, who is then answered', async () => {
    // Act
    const replies = await send(privateCommand(ADMIN, 'adduser', `${USER} Bob Builder`));
    const userReplies = await send(privateText(USER, 'hi, I am Bob'));

    // Assess
    expect(replies).toEqual([MESSAGES.userAdded(USER)]);
    expect(await directory.find(USER)).toEqual({
      userId: USER,
      admittedBy: ADMIN,
      admittedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      displayName: 'Bob Builder',
    });
    expect(userReplies).toEqual([expect.stringContaining('I am the offline model')]);
  });

  it('admits a user without a name', async () => {
    // Act
    await send(privateCommand(ADMIN, 'adduser', String(USER)));

    // Assess
    const admitted = await directory.find(USER);
    expect(admitted?.userId).toBe(USER);
    expect(admitted).not.toHaveProperty('displayName');
  });

  it('cuts a long name to 64 characters', async () => {
    // Act
    await send(privateCommand(ADMIN, 'adduser', `${USER} ${'n'.repeat(100)}`));

    // Assess
    expect((await directory.find(USER))?.displayName).toHaveLength(64);
  });

  it.each(['', 'abc', '0', '-5', '12ab', '1234567890123456', '@bob'])(
    'answers "/adduser %s" with the usage and admits nobody',
    async (args) => {
      // Act
      const replies = await send(privateCommand(ADMIN, 'adduser', args));

      // Assess
      expect(replies).toEqual([MESSAGES.addUserUsage]);
      expect(store.dump('users')).toEqual([]);
    },
  );

  it('does not store a configured admin as a user', async () => {
    // Act
    const replies = await send(privateCommand(ADMIN, 'adduser', String(ADMIN)));

    // Assess
    expect(replies).toEqual([MESSAGES.userAlreadyAdmin(ADMIN)]);
    expect(store.dump('users')).toEqual([]);
  });
});

describe('consumer bot: admin commands from a non-admin', () => {
  it.each([
    { command: 'adduser', args: '4004 Eve' },
    { command: 'removeuser', args: String(USER) },
    { command: 'users', args: '' },
  ])('refuses /$command from a user and changes nothing', async ({ command, args }) => {
    // Prepare
    await admit(USER);
    const before = store.dump('users');

    // Act
    const replies = await send(privateCommand(USER, command, args));

    // Assess
    expect(replies).toEqual([MESSAGES.adminsOnly]);
    expect(store.dump('users')).toEqual(before);
  });
});

describe('consumer bot: /removeuser', () => {
  it('refuses to remove an admin from configuration', async () => {
    // Act
    const replies = await send(privateCommand(ADMIN, 'removeuser', String(ADMIN)));
    const stillAdmin = await send(privateCommand(ADMIN, 'help'));

    // Assess
    expect(replies).toEqual([MESSAGES.cannotRemoveAdmin(ADMIN)]);
    expect(stillAdmin[0]).toContain('/adduser');
  });

  it('removes an admitted user, who then gets no answer', async () => {
    // Prepare
    await admit(USER);

    // Act
    const replies = await send(privateCommand(ADMIN, 'removeuser', String(USER)));
    const userReplies = await send(privateText(USER, 'hello?'));

    // Assess
    expect(replies).toEqual([MESSAGES.userRemoved(USER)]);
    expect(await directory.find(USER)).toBeUndefined();
    expect(userReplies).toEqual([MESSAGES.refusal]);
  });

  it('says so when the user was not on the list', async () => {
    // Act
    const replies = await send(privateCommand(ADMIN, 'removeuser', String(STRANGER)));

    // Assess
    expect(replies).toEqual([MESSAGES.userNotFound(STRANGER)]);
  });

  it.each(['', 'bob', `${USER} extra`])('answers "/removeuser %s" with the usage', async (args) => {
    // Prepare
    await admit(USER);

    // Act
    const replies = await send(privateCommand(ADMIN, 'removeuser', args));

    // Assess
    expect(replies).toEqual([MESSAGES.removeUserUsage]);
    expect(await directory.find(USER)).toBeDefined();
  });
});

describe('consumer bot: /users', () => {
  it('lists admitted users by id with names and who added them', async () => {
    // Prepare
    await admit(4004);
    await admit(USER, 'Bob');

    // Act
    const replies = await send(privateCommand(ADMIN, 'users'));

    // Assess
    expect(replies).toEqual([`Users:\n${USER} (Bob), added by ${ADMIN}\n4004, added by ${ADMIN}`]);
  });

  it('says when there is nobody yet', async () => {
    // Act
    const replies = await send(privateCommand(ADMIN, 'users'));

    // Assess
    expect(replies).toEqual(['No users yet: add one with /adduser.']);
  });
});
