import { Composer } from 'grammy';
import type { RunBudgetDecisions } from '../../domain/pipelines/budget-questions.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

// bud:<16 hex id>:<r|s>, as the ask-budget step writes it; anything else is not ours.
const BUDGET = /^bud:([0-9a-f]{16}):([rs])$/;

/** "Raise for this run" / "Stop" under a run paused at a monthly budget, bound to its owner. */
export function budgetButtons(decisions: RunBudgetDecisions | undefined) {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(BUDGET, async (ctx) => {
    await ctx.answerCallbackQuery().catch(() => undefined);
    const [, id = '', choice] = ctx.match;
    const decision = choice === 'r' ? 'raise' : 'stop';
    const work = (await decisions?.pipelineOf(id)) === 'devops' ? 'deploy' : 'build';
    const outcome = decisions ? await decisions.decide(ctx.principal, id, decision) : 'stale';
    if (outcome === 'accepted') {
      await ctx.editMessageReplyMarkup().catch(() => undefined);
      await ctx.reply(
        decision === 'raise'
          ? `Raised for this run: the ${work} goes on.`
          : `OK, stopping that ${work} here. Nothing more is spent on it.`,
      );
    } else {
      await ctx.reply(outcome === 'not_yours' ? MESSAGES.buttonNotYours : MESSAGES.buttonStale);
    }
  });
  return feature;
}
