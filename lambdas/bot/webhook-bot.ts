import { Bot, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { servesChat } from '../domain/access/access-policy.ts';
import type { QueueProducer } from '../ports/queue.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import type { Logger } from '../shared/logger.ts';

export interface WebhookBotDeps {
  token: string;
  botInfo: UserFromGetMe;
  apiRoot: string;
  queue: QueueProducer;
  logger: Logger;
  telemetry?: Telemetry;
}

/**
 * The front door's bot: one call per update, the queue send. The queue's deduplication id
 * (`update-<id>`) drops Telegram's resends within five minutes; the consumer's 25-hour claim
 * drops later ones. Nothing is written before the send, so a process that dies anywhere here
 * leaves Telegram to resend an update that was never recorded as seen. Access is decided by the
 * consumer, which refuses a stranger once; no model calls and no state here.
 */
export function createWebhookBot(deps: WebhookBotDeps): Bot {
  const bot = new Bot(deps.token, { botInfo: deps.botInfo, client: { apiRoot: deps.apiRoot } });
  bot.use((ctx) => queueUpdate(ctx, deps));
  return bot;
}

async function queueUpdate(ctx: Context, deps: WebhookBotDeps): Promise<void> {
  const updateId = ctx.update.update_id;
  const chat = ctx.chat;
  if (!chat || !ctx.from) {
    deps.logger.info('update ignored: no chat or sender', { updateId });
    return;
  }
  if (!servesChat(chat.type)) {
    deps.logger.info('update ignored: not a private chat', { updateId, chatType: chat.type });
    return;
  }
  await deps.queue.send({
    groupId: String(chat.id),
    deduplicationId: `update-${updateId}`,
    body: JSON.stringify(ctx.update),
  });
  deps.logger.info('update queued', { updateId });
  deps.telemetry?.count('UpdateQueued');
}
