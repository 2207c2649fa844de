import type { Context, NextFunction } from 'grammy';
import type { AccessControl } from '../../domain/access/access-control.ts';
import { servesChat } from '../../domain/access/access-policy.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { Logger } from '../../shared/logger.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

/**
 * Decides who may use the bot, when the update is processed (the webhook queues every private
 * chat's update unread). A stranger, or a user an admin has removed, gets one refusal per
 * update: the consumer's claim on the update id has already dropped Telegram's resends. Nothing
 * about them is stored beyond that claim.
 */
export function accessGuard(access: AccessControl, logger: Logger, telemetry?: Telemetry) {
  return async (ctx: Context, next: NextFunction): Promise<void> => {
    if (!ctx.chat || !servesChat(ctx.chat.type)) return;
    const principal = await access.principalOf(ctx.from?.id);
    if (!principal) {
      logger.info('stranger refused', { updateId: ctx.update.update_id });
      telemetry?.count('StrangerRefused');
      if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
      await ctx.reply(MESSAGES.refusal).catch((error: unknown) => {
        // Blocked or gone: there is nobody to refuse, and a retry would not change that.
        logger.warn('refusal not delivered', { updateId: ctx.update.update_id, error: String(error) });
      });
      return;
    }
    (ctx as BotContext).principal = principal;
    await next();
  };
}
