import type { ChatChannel } from '../../ports/chat.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { Principal } from '../access/access-policy.ts';
import { type BotIdentityLookup, verifyBotToken } from './bot-token-verifier.ts';
import type { ChatSecretVault } from './chat-secret-vault.ts';
import { type DetectedSecret, detectSecrets, redact } from './secret-detector.ts';

/** What taking secrets out of a message needs; secret intake (secret-intake.ts) adds to it. */
export interface RemovalDeps {
  vault: ChatSecretVault;
  chat: ChatChannel;
  botLookup: BotIdentityLookup;
  telemetry?: Telemetry;
}

export type RemovalResult =
  | { kind: 'none' }
  /** Taken out: the text with references in place of values, and the stashed secrets' refs. */
  | { kind: 'removed'; redacted: string; withheld: Array<{ ref: string; kind: string }> }
  /** A bot token Telegram does not know: deleted, not stored, the person told. */
  | { kind: 'refused' };

/**
 * Takes every secret out of a piece of text a person put in the chat (a message, an edit of one,
 * a photo's caption): the message is deleted, each value stashed in the secrets port, the person
 * told, and what may go on carries references only.
 */
export async function removeSecrets(
  deps: RemovalDeps,
  principal: Principal,
  chatId: number,
  messageId: number,
  text: string,
): Promise<RemovalResult> {
  const found = detectSecrets(text);
  if (found.length === 0) return { kind: 'none' };
  await deps.chat.delete(chatId, messageId);
  const withheld: Array<{ ref: string; kind: string }> = [];
  for (const secret of found) {
    if (!(await acceptable(deps, chatId, secret))) return { kind: 'refused' };
    withheld.push({ ref: await deps.vault.stash(principal.userId, secret.value), kind: secret.kind });
    deps.telemetry?.count('SecretStoredFromChat');
  }
  await deps.chat.send(
    chatId,
    'I removed your message because it contained a secret; it is stored encrypted.',
  );
  return {
    kind: 'removed',
    redacted: redact(text, found, (secret, i) => `[secret:${withheld[i]?.ref} ${secret.kind}]`),
    withheld,
  };
}

async function acceptable(
  deps: Pick<RemovalDeps, 'chat' | 'botLookup'>,
  chatId: number,
  secret: DetectedSecret,
): Promise<boolean> {
  if (secret.kind !== 'TELEGRAM_BOT_TOKEN') return true;
  const check = await verifyBotToken(secret.value, deps.botLookup);
  if (!check.ok) {
    await deps.chat.send(chatId, `I deleted your message and did not store the token: ${check.reason}.`);
  }
  return check.ok;
}
