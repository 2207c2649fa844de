import { Composer } from 'grammy';
import { recordMessage } from '../../domain/sessions/chat-session.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

/**
 * Plain text: for now a reply that proves the whole path (webhook, queue, consumer, session in
 * the store). The Product Owner agent takes this place in its own issue.
 */
export function conversation(now: () => Date = () => new Date()) {
  const feature = new Composer<BotContext>();
  feature.on('message:text', async (ctx) => {
    ctx.session = recordMessage(ctx.session, now());
    await ctx.reply(MESSAGES.received(ctx.session.messageCount));
  });
  feature.on('message', (ctx) => ctx.reply(MESSAGES.unsupported));
  return feature;
}
