import { Composer } from 'grammy';
import type { EngineeringService } from '../../domain/pipelines/engineering-service.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

// esc:<16 hex id>:<t|g>, as the escalate step writes it; anything else is not ours.
const ESCALATION = /^esc:([0-9a-f]{16}):([tg])$/;

/** "Try again" / "Give up" under a run that stopped after three red attempts, bound to its owner. */
export function escalationButtons(engineering: EngineeringService | undefined) {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(ESCALATION, async (ctx) => {
    await ctx.answerCallbackQuery().catch(() => undefined);
    const [, id = '', choice] = ctx.match;
    const decision = choice === 't' ? 'try_again' : 'give_up';
    const outcome = engineering ? await engineering.decide(ctx.principal, id, decision) : 'stale';
    if (outcome === 'accepted') {
      await ctx.editMessageReplyMarkup().catch(() => undefined);
      await ctx.reply(decision === 'try_again' ? MESSAGES.tryingAgain : MESSAGES.givingUp);
    } else {
      await ctx.reply(outcome === 'not_yours' ? MESSAGES.buttonNotYours : MESSAGES.buttonStale);
    }
  });
  return feature;
}
