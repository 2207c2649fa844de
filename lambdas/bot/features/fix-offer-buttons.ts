import { Composer } from 'grammy';
import type { ServiceRecovery } from '../../domain/operations/service-recovery.ts';
import type { Project } from '../../domain/projects/project.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

// fix:<16 hex id>:<y|n>, as ServiceRecovery writes it; anything else is not ours.
const FIX_OFFER = /^fix:([0-9a-f]{16}):([yn])$/;

/** "Start a fix run" / "Leave it" under a service that stayed down, bound to its owner. */
export function fixOfferButtons(
  recovery: ServiceRecovery | undefined,
  projects: { get(id: string): Promise<Project | undefined> },
) {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(FIX_OFFER, async (ctx) => {
    await ctx.answerCallbackQuery().catch(() => undefined);
    const [, id = '', choice] = ctx.match;
    const outcome = recovery ? await recovery.decide(ctx.principal, id, choice === 'y', projects) : 'stale';
    if (outcome === 'accepted' || outcome === 'declined') {
      await ctx.editMessageReplyMarkup().catch(() => undefined);
      await ctx.reply(outcome === 'accepted' ? MESSAGES.fixRunStarted : MESSAGES.fixRunDeclined);
    } else {
      await ctx.reply(outcome === 'not_yours' ? MESSAGES.buttonNotYours : MESSAGES.buttonStale);
    }
  });
  return feature;
}
