import { Api } from 'grammy';
import type { BotIdentityLookup } from '../../domain/chat-secrets/bot-token-verifier.ts';

/** getMe for an arbitrary token, on Telegram or the emulator (by API root). */
export class TelegramBotLookup implements BotIdentityLookup {
  constructor(private readonly apiRoot: string) {}

  async getMe(token: string): Promise<{ username?: string }> {
    const me = await new Api(token, { apiRoot: this.apiRoot }).getMe();
    return { username: me.username };
  }
}
