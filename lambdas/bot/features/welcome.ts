import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

export function welcome(offlineModel: boolean) {
  const feature = new Composer<BotContext>();
  feature.command('start', (ctx) => ctx.reply(MESSAGES.welcome(ctx.from?.first_name ?? 'there')));
  feature.command('help', (ctx) =>
    ctx.reply(
      [
        MESSAGES.help(ctx.principal.role === 'admin'),
        ...(offlineModel ? ['', MESSAGES.offlineModel] : []),
      ].join('\n'),
    ),
  );
  return feature;
}
