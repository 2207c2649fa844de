import type { Context, NextFunction } from 'grammy';
import type { AccessControl } from '../../domain/access/access-control.ts';
import { servesChat } from '../../domain/access/access-policy.ts';
import type { Logger } from '../../shared/logger.ts';
import type { BotContext } from '../context.ts';

/**
 * Checks access again when the update is processed: an admin may have removed the user while the
 * update waited in the queue. Anything that fails the check is dropped without a reply (the
 * webhook already refused strangers once).
 */
export function accessGuard(access: AccessControl, logger: Logger) {
  return async (ctx: Context, next: NextFunction): Promise<void> => {
    if (!ctx.chat || !servesChat(ctx.chat.type)) return;
    const principal = await access.principalOf(ctx.from?.id);
    if (!principal) {
      logger.info('queued update from a user without access dropped', { updateId: ctx.update.update_id });
      return;
    }
    (ctx as BotContext).principal = principal;
    await next();
  };
}
