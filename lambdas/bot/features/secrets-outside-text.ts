import { Composer } from 'grammy';
import type { ProductOwner } from '../../domain/agent/product-owner.ts';
import type { IntakeDeps } from '../../domain/chat-secrets/secret-intake.ts';
import { removeSecrets } from '../../domain/chat-secrets/secret-removal.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

/**
 * Secrets that arrive other than as a new text message: an edit of a message, a photo's or
 * document's caption. They are taken out of the chat exactly as from a plain message, and the
 * agent is told of them by a system note (as for a plain message), so the person can still say
 * which project they are for. The agent reads no edits otherwise, and a caption as text.
 */
export function secretsOutsideText(productOwner: ProductOwner, intake: IntakeDeps) {
  const feature = new Composer<BotContext>();
  feature.on('edited_message', async (ctx) => {
    const edited = ctx.editedMessage;
    const text = edited.text ?? edited.caption;
    if (text === undefined) return;
    const removed = await removeSecrets(intake, ctx.principal, ctx.chat.id, edited.message_id, text);
    if (removed.kind === 'none') {
      await ctx.reply(MESSAGES.editsNotRead);
      return;
    }
    if (removed.kind === 'removed') {
      await productOwner.handleMessage(ctx.principal, ctx.chat.id, String(ctx.update.update_id), {
        events: [{ kind: 'secrets_withheld', secrets: removed.withheld }],
      });
    }
  });
  feature.on('message:caption', async (ctx, next) => {
    const removed = await removeSecrets(
      intake,
      ctx.principal,
      ctx.chat.id,
      ctx.msg.message_id,
      ctx.msg.caption,
    );
    if (removed.kind === 'none') return next();
    if (removed.kind === 'removed') {
      await productOwner.handleMessage(ctx.principal, ctx.chat.id, String(ctx.update.update_id), {
        text: removed.redacted,
        events: [{ kind: 'secrets_withheld', secrets: removed.withheld }],
      });
    }
  });
  return feature;
}
