import { Bot, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { AccessControl } from '../domain/access/access-control.ts';
import { servesChat } from '../domain/access/access-policy.ts';
import type { UpdateDeduplicator } from '../domain/updates/update-deduplicator.ts';
import type { QueueProducer } from '../ports/queue.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import type { Logger } from '../shared/logger.ts';
import { MESSAGES } from './messages.ts';

export interface WebhookBotDeps {
  token: string;
  botInfo: UserFromGetMe;
  apiRoot: string;
  access: AccessControl;
  dedup: UpdateDeduplicator;
  queue: QueueProducer;
  logger: Logger;
  telemetry?: Telemetry;
}

/**
 * The front door's bot: it decides whether an update may enter and queues it. No model calls
 * and no conversation state here: Telegram is waiting for our answer.
 */
export function createWebhookBot(deps: WebhookBotDeps): Bot {
  const bot = new Bot(deps.token, { botInfo: deps.botInfo, client: { apiRoot: deps.apiRoot } });
  bot.use((ctx) => admitAndQueue(ctx, deps));
  return bot;
}

async function admitAndQueue(ctx: Context, deps: WebhookBotDeps): Promise<void> {
  const updateId = ctx.update.update_id;
  const chat = ctx.chat;
  const from = ctx.from;
  if (!chat || !from) {
    deps.logger.info('update ignored: no chat or sender', { updateId });
    return;
  }
  if (!servesChat(chat.type)) {
    deps.logger.info('update ignored: not a private chat', { updateId, chatType: chat.type });
    return;
  }
  const principal = await deps.access.principalOf(from.id);
  if (!principal) {
    deps.logger.info('stranger refused', { updateId });
    deps.telemetry?.count('StrangerRefused');
    await ctx.reply(MESSAGES.refusal).catch((error: unknown) => {
      // A refusal that cannot be delivered is not worth a Telegram retry of the whole update.
      deps.logger.warn('refusal not delivered', { updateId, error: String(error) });
    });
    return;
  }
  if (!(await deps.dedup.claim(updateId))) {
    deps.logger.info('duplicate update dropped', { updateId });
    deps.telemetry?.count('UpdateDuplicate');
    return;
  }
  try {
    await deps.queue.send({
      groupId: String(chat.id),
      deduplicationId: `update-${updateId}`,
      body: JSON.stringify(ctx.update),
    });
  } catch (error) {
    // Give the claim back so Telegram's retry of this update is not taken for a duplicate.
    await deps.dedup.release(updateId).catch((releaseError: unknown) => {
      deps.logger.error('dedup claim not released', { updateId, error: String(releaseError) });
    });
    throw error;
  }
  deps.logger.info('update queued', { updateId, role: principal.role });
  deps.telemetry?.count('UpdateQueued');
}
