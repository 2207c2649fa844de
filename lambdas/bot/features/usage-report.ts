import { Composer } from 'grammy';
import { type Budgets, formatStanding } from '../../domain/usage/budgets.ts';
import { formatUsage, type UsageLedger } from '../../domain/usage/usage-ledger.ts';
import type { BotContext } from '../context.ts';

/** /usage: a person's own model usage and their budget; admins also see everyone's. */
export function usageReport(ledger: UsageLedger, budgets?: Budgets) {
  const feature = new Composer<BotContext>();
  feature.command('usage', async (ctx) => {
    const userId = ctx.principal.userId;
    const lines = [
      formatUsage('You, this month', await ledger.userTotals(userId, 'month')),
      formatUsage('You, all time', await ledger.userTotals(userId, 'all')),
    ];
    if (budgets) lines.push(formatStanding(await budgets.standing({ kind: 'person', userId })));
    if (ctx.principal.role === 'admin') {
      lines.push(
        formatUsage('Everyone, this month', await ledger.overallTotals('month')),
        formatUsage('Everyone, all time', await ledger.overallTotals('all')),
      );
    }
    await ctx.reply(lines.join('\n'));
  });
  return feature;
}
