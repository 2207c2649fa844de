import { BotError } from 'grammy';
import type { Update } from 'grammy/types';
import { beforeEach, describe, expect, it } from 'vitest';
import { createWebhookBot } from '../../../lambdas/bot/webhook-bot.ts';
import type { OutgoingMessage, QueueProducer } from '../../../lambdas/ports/queue.ts';
import { botInfoFrom } from '../../../lambdas/shared/bot-identity.ts';
import { createLogger } from '../../../lambdas/shared/logger.ts';
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

let queue: RecordingQueue;
let telegram: TelegramApiRecorder;
let bot: ReturnType<typeof createWebhookBot>;

beforeEach(() => {
  queue = new RecordingQueue();
  bot = createWebhookBot({
    token: TOKEN,
    botInfo: botInfoFrom(TOKEN, 'orchestrator_bot'),
    // Nothing listens there: a call that escaped the recorder would fail the test.
    apiRoot: 'http://127.0.0.1:9',
    queue,
    logger: createLogger('webhook-bot-test'),
  });
  telegram = recordTelegramApi(bot);
});

describe('webhook bot: private chats', () => {
  it.each([
    { who: 'an admin', userId: ADMIN, update: () => privateText(ADMIN, 'build me a bot') },
    { who: 'an admin', userId: ADMIN, update: () => privateCommand(ADMIN, 'adduser', '2002 Bob') },
    { who: 'an admin', userId: ADMIN, update: () => callbackQuery(ADMIN, 'approve:1') },
    // Access is the consumer's decision, made once per update after its claim.
    { who: 'a stranger', userId: STRANGER, update: () => privateText(STRANGER, 'let me in') },
  ])(
    "queues $who's update in the chat's group with the update's dedup id, calling nothing else",
    async ({ userId, update }) => {
      // Prepare
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
    },
  );

  it("gives every delivery of an update the same dedup id, so the queue's window drops the repeats", async () => {
    // Prepare
    const update = privateText(ADMIN, 'build me a bot');

    // Act
    await bot.handleUpdate(update);
    await bot.handleUpdate(structuredClone(update));

    // Assess
    expect(new Set(queue.sent.map((m) => m.deduplicationId))).toEqual(
      new Set([`update-${update.update_id}`]),
    );
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
  ])('ignores $who in a $type: no reply, nothing queued', async ({ userId, type }) => {
    // Act
    await bot.handleUpdate(groupText(userId, 'hello everyone', { type }));

    // Assess
    expect(telegram.calls).toEqual([]);
    expect(queue.sent).toEqual([]);
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
  });
});

describe('webhook bot: queue failures', () => {
  it('lets the queue error through (Telegram resends after our 500) and queues the resend', async () => {
    // Prepare
    const update = privateText(ADMIN, 'build me a bot');
    const outage = new Error('SQS unavailable');
    queue.failNext(outage);

    // Act
    const first = await bot.handleUpdate(update).then(
      () => undefined,
      (error: unknown) => error,
    );
    await bot.handleUpdate(update);

    // Assess
    expect(first).toBeInstanceOf(BotError);
    expect((first as BotError).error).toBe(outage);
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]?.deduplicationId).toBe(`update-${update.update_id}`);
  });
});
