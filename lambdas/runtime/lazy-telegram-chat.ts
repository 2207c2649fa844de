import { Api } from 'grammy';
import { TelegramChat } from '../adapters/telegram/telegram-chat.ts';
import type { ChatChannel } from '../ports/chat.ts';
import type { Runtime } from './runtime.ts';

/**
 * The chat port for functions that rarely talk (a job, a pipeline step): the bot token is read
 * from Secrets Manager on the first message, not at cold start.
 */
export function lazyTelegramChat(runtime: Pick<Runtime, 'cachedSecrets' | 'config'>): ChatChannel {
  let chat: TelegramChat | undefined;
  const telegram = async () => {
    chat ??= new TelegramChat(
      new Api(await runtime.cachedSecrets.get(runtime.config.secretIds.botToken), {
        apiRoot: runtime.config.telegramApiRoot,
      }),
    );
    return chat;
  };
  return {
    send: async (...args) => (await telegram()).send(...args),
    edit: async (...args) => (await telegram()).edit(...args),
    delete: async (...args) => (await telegram()).delete(...args),
  };
}
