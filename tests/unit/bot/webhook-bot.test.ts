import { BotError } from 'grammy';
import type { Update } from 'grammy/types';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MESSAGES } from '../../../lambdas/bot/messages.ts';
import { createWebhookBot } from '../../../lambdas/bot/webhook-bot.ts';
import { AccessControl } from '../../../lambdas/domain/access/access-control.ts';
import { UserDirectory } from '../../../lambdas/domain/access/user-directory.ts';
import { UpdateDeduplicator } from '../../../lambdas/domain/updates/update-deduplicator.ts';
import type { OutgoingMessage, QueueProducer } from '../../../lambdas/ports/queue.ts';
import { botInfoFrom } from '../../../lambdas/shared/bot-identity.ts';
import { createLogger } from '../../../lambdas/shared/logger.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';
import {
  callbackQuery,
  groupText,
  privateCommand,
  privateText,
  recordTelegramApi,
  type TelegramApiRecorder,
} from '../../support/telegram-api-recorder.ts';

const TOKEN = '7000000001:test-token';
const ADMIN = 1001;
const USER = 2002;
const STRANGER = 3003;

/** A QueueProducer that records what it is given and can be told to fail. */
class RecordingQueue implements QueueProducer {
  readonly sent: OutgoingMessage[] = [];
  private failures: Error[] = [];

  failNext(error: Error): void {
    this.failures.push(error);
  }

  async send(message: OutgoingMessage): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(message);
  }
}

let store: MemoryStore;
let queue: RecordingQueue;
let telegram: TelegramApiRecorder;
let directory: UserDirectory;
let bot: ReturnType<typeof createWebhookBot>;
let logger: ReturnType<typeof createLogger>;

beforeEach(() => {
  const clock = new ManualClock();
  store = new MemoryStore({ now: clock.now });
  queue = new RecordingQueue();
  directory = new UserDirectory(store);
  const botInfo = botInfoFrom(TOKEN, 'orchestrator_bot');
  logger = createLogger('webhook-bot-test');
  bot = createWebhookBot({
    token: TOKEN,
    botInfo,
    // Nothing listens there: a call that escaped the recorder would fail the test.
    apiRoot: 'http://127.0.0.1:9',
    access: new AccessControl(new Set([ADMIN]), directory),
    dedup: new UpdateDeduplicator(store, botInfo.id, 25 * 3600, clock.now),
    queue,
    logger,
  });
  telegram = recordTelegramApi(bot);
});

const admitUser = () =>
  directory.admit({ userId: USER, admittedBy: ADMIN, admittedAt: '2026-01-01T00:00:00.000Z' });

describe('webhook bot: strangers', () => {
  it('refuses a stranger with exactly one message, queues nothing and stores nothing', async () => {
    // Prepare
    const update = privateText(STRANGER, 'let me in');

    // Act
    await bot.handleUpdate(update);

    // Assess
    expect(telegram.calls).toHaveLength(1);
    expect(telegram.calls[0]).toMatchObject({
      method: 'sendMessage',
      payload: { chat_id: STRANGER, text: MESSAGES.refusal },
    });
    expect(queue.sent).toEqual([]);
    expect(store.size()).toBe(0);
  });

  it('refuses a stranger again on a redelivery, still without a claim', async () => {
    // Prepare
    const update = privateText(STRANGER, 'let me in');

    // Act
    await bot.handleUpdate(update);
    await bot.handleUpdate(update);

    // Assess
    expect(telegram.sentTexts(STRANGER)).toEqual([MESSAGES.refusal, MESSAGES.refusal]);
    expect(store.size()).toBe(0);
  });

  it('does not fail the update when the refusal cannot be delivered', async () => {
    // Prepare
    telegram.failNext('sendMessage', {
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });

    // Act
    const handling = bot.handleUpdate(privateText(STRANGER, 'hi'));

    // Assess
    await expect(handling).resolves.toBeUndefined();
    expect(queue.sent).toEqual([]);
  });

  it('refuses a user an admin has removed', async () => {
    // Prepare
    await admitUser();
    await directory.remove(USER);

    // Act
    await bot.handleUpdate(privateText(USER, 'still here?'));

    // Assess
    expect(telegram.sentTexts(USER)).toEqual([MESSAGES.refusal]);
    expect(queue.sent).toEqual([]);
  });
});

describe('webhook bot: people with access', () => {
  it.each([
    { who: 'an admin', userId: ADMIN, update: () => privateText(ADMIN, 'build me a bot') },
    { who: 'an admin', userId: ADMIN, update: () => privateCommand(ADMIN, 'adduser', '2002 Bob') },
    { who: 'an admin', userId: ADMIN, update: () => callbackQuery(ADMIN, 'approve:1') },
    { who: 'an admitted user', userId: USER, update: () => privateText(USER, 'hello') },
  ])('queues $who update in the chat group, without calling Telegram', async ({ userId, update }) => {
    // Prepare
    await admitUser();
    const incoming = update();

    // Act
    await bot.handleUpdate(incoming);

    // Assess
    expect(queue.sent).toEqual([
      {
        groupId: String(userId),
        deduplicationId: `update-${incoming.update_id}`,
        body: JSON.stringify(incoming),
      },
    ]);
    expect(telegram.calls).toEqual([]);
  });

  it('queues the same update once however often Telegram delivers it', async () => {
    // Prepare
    const update = privateText(ADMIN, 'build me a bot');

    // Act
    await bot.handleUpdate(update);
    await bot.handleUpdate(update);
    await bot.handleUpdate(structuredClone(update));

    // Assess
    expect(queue.sent).toHaveLength(1);
    expect(telegram.calls).toEqual([]);
  });

  it('queues different updates of one chat in order, in one group', async () => {
    // Prepare
    const updates = [privateText(ADMIN, 'one'), privateText(ADMIN, 'two')];

    // Act
    for (const update of updates) await bot.handleUpdate(update);

    // Assess
    expect(queue.sent.map((m) => [m.groupId, (JSON.parse(m.body) as Update).message?.text])).toEqual([
      [String(ADMIN), 'one'],
      [String(ADMIN), 'two'],
    ]);
  });
});

describe('webhook bot: chats it does not serve', () => {
  it.each([
    { who: 'an admin', userId: ADMIN, type: 'group' as const },
    { who: 'an admin', userId: ADMIN, type: 'supergroup' as const },
    { who: 'a stranger', userId: STRANGER, type: 'group' as const },
  ])('ignores $who in a $type: no reply, nothing queued, nothing stored', async ({ userId, type }) => {
    // Act
    await bot.handleUpdate(groupText(userId, 'hello everyone', { type }));

    // Assess
    expect(telegram.calls).toEqual([]);
    expect(queue.sent).toEqual([]);
    expect(store.size()).toBe(0);
  });

  it('ignores an update without a chat', async () => {
    // Prepare
    const inlineQuery = {
      update_id: 99,
      inline_query: { id: 'q', from: { id: ADMIN, is_bot: false, first_name: 'A' }, query: 'x', offset: '' },
    } as Update;

    // Act
    await bot.handleUpdate(inlineQuery);

    // Assess
    expect(telegram.calls).toEqual([]);
    expect(queue.sent).toEqual([]);
    expect(store.size()).toBe(0);
  });
});

describe('webhook bot: queue failures', () => {
  it('lets the queue error through and releases the claim, so the retry is queued', async () => {
    // Prepare
    const update = privateText(ADMIN, 'build me a bot');
    const outage = new Error('SQS unavailable');
    queue.failNext(outage);

    // Act
    const first = await bot.handleUpdate(update).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(first).toBeInstanceOf(BotError);
    expect((first as BotError).error).toBe(outage);
    expect(store.dump('dedup')).toEqual([]);
    expect(queue.sent).toEqual([]);

    // Act: Telegram retries the same update.
    await bot.handleUpdate(update);

    // Assess
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]?.deduplicationId).toBe(`update-${update.update_id}`);
  });

  it('reports the queue error, not the release error, when both fail', async () => {
    // Prepare
    const outage = new Error('SQS unavailable');
    queue.failNext(outage);
    vi.spyOn(store, 'delete').mockRejectedValueOnce(new Error('DynamoDB unavailable'));
    const logError = vi.spyOn(logger, 'error').mockImplementation(() => undefined);

    // Act
    const error = await bot.handleUpdate(privateText(ADMIN, 'hi')).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect((error as BotError).error).toBe(outage);
    expect(logError).toHaveBeenCalledWith(
      'dedup claim not released',
      expect.objectContaining({ error: 'Error: DynamoDB unavailable' }),
    );
  });
});
