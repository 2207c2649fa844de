import { Composer } from 'grammy';
import type { IntakeDeps } from '../../domain/chat-secrets/secret-intake.ts';
import { removeSecrets } from '../../domain/chat-secrets/secret-removal.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

/**
 * Secrets that arrive other than as a new text message: an edit of a message, a photo's or
 * document's caption. They are taken out of the chat exactly as from a plain message. The agent
 * reads neither edits nor captions, so nothing else is handed on.
 */
export function secretsOutsideText(intake: IntakeDeps) {
  const feature = new Composer<BotContext>();
  feature.on('edited_message', async (ctx) => {
    const edited = ctx.editedMessage;
    const text = edited.text ?? edited.caption;
    if (text === undefined) return;
    const removed = await removeSecrets(intake, ctx.principal, ctx.chat.id, edited.message_id, text);
    if (removed.kind === 'none') await ctx.reply(MESSAGES.editsNotRead);
  });
  feature.on('message:caption', async (ctx, next) => {
    const removed = await removeSecrets(
      intake,
      ctx.principal,
      ctx.chat.id,
      ctx.msg.message_id,
      ctx.msg.caption,
    );
    if (removed.kind === 'none') await next();
  });
  return feature;
}
