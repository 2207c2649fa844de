import { TELEGRAM_TOKEN_FORMAT } from './secret-detector.ts';

export type TokenCheck = { ok: true; username: string } | { ok: false; reason: string };

/** Asks Telegram who a token belongs to (getMe); the adapter decides which API it calls. */
export interface BotIdentityLookup {
  getMe(token: string): Promise<{ username?: string }>;
}

/** A Telegram bot token is checked before it is stored: its format first, then getMe. */
export async function verifyBotToken(token: string, lookup: BotIdentityLookup): Promise<TokenCheck> {
  if (!TELEGRAM_TOKEN_FORMAT.test(token)) {
    return { ok: false, reason: 'it does not look like a Telegram bot token (<digits>:<35 characters>)' };
  }
  try {
    const me = await lookup.getMe(token);
    return { ok: true, username: me.username ?? 'unknown' };
  } catch {
    return { ok: false, reason: 'Telegram did not accept it (getMe failed)' };
  }
}
