import { Composer } from 'grammy';
import type { ProductOwner } from '../../domain/agent/product-owner.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

// cf:<16 hex nonce>:<y|n>, as the agent writes it; anything else is a broken or forged button.
const CONFIRMATION = /^cf:([0-9a-f]{16}):([yn])$/;

/** What the person is told when a press changes nothing. */
const EXPLANATIONS = {
  accepted: undefined,
  stale: MESSAGES.buttonStale,
  expired: MESSAGES.buttonExpired,
  not_yours: MESSAGES.buttonNotYours,
} as const;

/** Inline-keyboard answers to the agent's confirmations, checked against who was asked. */
export function confirmations(productOwner: ProductOwner) {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(CONFIRMATION, async (ctx) => {
    const [, nonce = '', answer] = ctx.match;
    // Answered before the work, which may be a whole agent turn: the client stops its spinner
    // now. A press that turns out to change nothing is explained in the chat instead.
    await ctx.answerCallbackQuery().catch(() => undefined);
    const outcome = await productOwner.handleConfirmation(
      ctx.principal,
      ctx.chat?.id ?? ctx.from.id,
      String(ctx.update.update_id),
      nonce,
      answer === 'y',
    );
    const explanation = EXPLANATIONS[outcome];
    if (explanation) await ctx.reply(explanation);
  });
  feature.on('callback_query', (ctx) =>
    ctx.answerCallbackQuery({ text: MESSAGES.buttonStale }).catch(() => undefined),
  );
  return feature;
}
