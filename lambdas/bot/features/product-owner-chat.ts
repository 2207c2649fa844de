import { Composer } from 'grammy';
import type { ProductOwner } from '../../domain/agent/product-owner.ts';
import { type IntakeDeps, takeSecrets } from '../../domain/chat-secrets/secret-intake.ts';
import { recordMessage } from '../../domain/sessions/chat-session.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

/** Plain text goes to the Product Owner agent, after any secret in it has been taken out. */
export function productOwnerChat(
  productOwner: ProductOwner,
  intake: IntakeDeps,
  now: () => Date = () => new Date(),
) {
  const feature = new Composer<BotContext>();
  feature.on('message:text', async (ctx) => {
    ctx.session = recordMessage(ctx.session, now());
    const text = ctx.message.text;
    if (text.startsWith('/')) {
      await ctx.reply(MESSAGES.unknownCommand);
      return;
    }
    if (text.length > MAX_TEXT) {
      await ctx.reply(MESSAGES.tooLong(MAX_TEXT));
      return;
    }
    const intaken = await takeSecrets(intake, ctx.principal, ctx.chat.id, ctx.message.message_id, text);
    if (intaken.kind === 'handled') return;
    await productOwner.handleMessage(ctx.principal, ctx.chat.id, String(ctx.update.update_id), intaken);
  });
  feature.on('message', (ctx) => ctx.reply(MESSAGES.unsupported));
  return feature;
}

// Telegram allows 4096 characters; longer text here is a forwarded blob, not a request.
const MAX_TEXT = 4096;
