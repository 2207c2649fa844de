import { Composer } from 'grammy';
import type { ProductOwner } from '../../domain/agent/product-owner.ts';
import type { BotContext } from '../context.ts';

// cf:<16 hex nonce>:<y|n>, as the agent writes it; anything else is a broken or forged button.
const CONFIRMATION = /^cf:([0-9a-f]{16}):([yn])$/;

const ANSWERS = {
  accepted: undefined,
  stale: 'This button is no longer valid.',
  expired: 'This question has expired. Ask again if you still want it.',
  not_yours: 'This question was for someone else.',
} as const;

/** Inline-keyboard answers to the agent's confirmations, checked against who was asked. */
export function confirmations(productOwner: ProductOwner) {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(CONFIRMATION, async (ctx) => {
    const [, nonce = '', answer] = ctx.match;
    // Answer the button at once so the client stops its spinner; the work may take a while.
    const outcome = await productOwner.handleConfirmation(
      ctx.principal,
      ctx.chat?.id ?? ctx.from.id,
      String(ctx.update.update_id),
      nonce,
      answer === 'y',
    );
    const text = ANSWERS[outcome];
    await ctx.answerCallbackQuery(text ? { text, show_alert: false } : {}).catch(() => undefined);
  });
  feature.on('callback_query', (ctx) =>
    ctx.answerCallbackQuery({ text: ANSWERS.stale }).catch(() => undefined),
  );
  return feature;
}
