import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

export const welcome = new Composer<BotContext>();

welcome.command('start', (ctx) => ctx.reply(MESSAGES.welcome(ctx.from?.first_name ?? 'there')));
welcome.command('help', (ctx) => ctx.reply(MESSAGES.help(ctx.principal.role === 'admin')));
