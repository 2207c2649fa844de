import type { ChatChannel } from '../../ports/chat.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { Principal } from '../access/access-policy.ts';
import type { SystemEvent } from '../agent/system-events.ts';
import type { ConversationLeases } from '../conversations/conversation-lease.ts';
import type { ProjectService } from '../projects/project-service.ts';
import { type BotIdentityLookup, verifyBotToken } from './bot-token-verifier.ts';
import type { ChatSecretVault } from './chat-secret-vault.ts';
import { detectSecrets } from './secret-detector.ts';
import { removeSecrets } from './secret-removal.ts';

/**
 * What goes on to the agent. Each variant but `handled` is a PersonInput (system-events.ts): what
 * the system did with the message travels as typed events, never as text the person could type.
 */
export type IntakeResult =
  /** No secret in the message: hand the text on unchanged. */
  | { kind: 'plain'; text: string }
  /** Secrets were taken out: hand on this text, which holds only references, and the stash event. */
  | { kind: 'redacted'; text: string; events: SystemEvent[] }
  /** The message was the secret the agent asked for, now stored: only the event goes on. */
  | { kind: 'secret_stored'; events: SystemEvent[] }
  /** The message was a secret and has been dealt with completely; nothing to hand on. */
  | { kind: 'handled' };

export interface IntakeDeps {
  vault: ChatSecretVault;
  leases: ConversationLeases;
  projects: ProjectService;
  chat: ChatChannel;
  botLookup: BotIdentityLookup;
  /** Secrets a pipeline run waits for in this chat (a deploy's missing key), if pipelines exist. */
  pipelineSecrets?: PipelineSecretWaits;
  telemetry?: Telemetry;
  now?: () => number;
}

export interface PipelineSecretWaits {
  /** The key a run waits for in this chat, if any. */
  awaited(chatId: number): Promise<{ projectId: string; key: string; expiresAt: number } | undefined>;
  /** The value was stored: resumes the waiting run (if it still waits). */
  stored(principal: Principal, chatId: number, projectId: string, key: string): Promise<boolean>;
}

/**
 * Takes secrets out of a message before anything stores, logs or forwards it. The value goes to
 * the secrets port, the person's message is deleted from the chat, and what continues carries
 * only a reference. Runs before the agent sees the text.
 */
export async function takeSecrets(
  deps: IntakeDeps,
  principal: Principal,
  chatId: number,
  messageId: number,
  text: string,
): Promise<IntakeResult> {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const conversation = await deps.leases.read(chatId);
  // The agent's own question first (it is the newer one when both exist), then a waiting run's.
  const awaited =
    conversation.awaitedSecret && conversation.awaitedSecret.expiresAt >= now()
      ? conversation.awaitedSecret
      : await deps.pipelineSecrets?.awaited(chatId);
  if (awaited && awaited.expiresAt >= now() && looksLikeAValue(text)) {
    await deps.chat.delete(chatId, messageId);
    const value = text.trim();
    if (awaited.key === 'TELEGRAM_BOT_TOKEN') {
      const check = await verifyBotToken(value, deps.botLookup);
      if (!check.ok) {
        // Stop waiting: the person's next message is theirs to write freely again.
        await deps.leases.release(conversation, { awaitedSecret: undefined }).catch(() => undefined);
        await deps.chat.send(
          chatId,
          `I deleted your message and did not store it: ${check.reason}. Ask me to set ${awaited.key} again when you have the right value.`,
        );
        return { kind: 'handled' };
      }
    }
    const project = await deps.projects.get(principal, awaited.projectId);
    await deps.vault.storeForProject(project.id, awaited.key, value);
    await deps.projects.addSecretKey(principal, project.id, awaited.key);
    await deps.pipelineSecrets?.stored(principal, chatId, project.id, awaited.key);
    deps.telemetry?.count('SecretStoredFromChat');
    return {
      kind: 'secret_stored',
      events: [{ kind: 'secret_stored', key: awaited.key, projectId: project.id }],
    };
  }

  const removed = await removeSecrets(deps, principal, chatId, messageId, text);
  if (removed.kind === 'none') return { kind: 'plain', text };
  if (removed.kind === 'refused') return { kind: 'handled' };
  return {
    kind: 'redacted',
    text: removed.redacted,
    events: [{ kind: 'secrets_withheld', secrets: removed.withheld }],
  };
}

/**
 * Whether a message sent while a secret is awaited is that value. Keys, tokens and passwords are
 * one word; a sentence ("list my projects") is the person moving on, and a command is a command.
 * A multi-line private key is recognised by its own pattern.
 */
function looksLikeAValue(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.startsWith('/')) return false;
  return !/\s/.test(trimmed) || detectSecrets(trimmed).some((s) => s.kind === 'PRIVATE_KEY');
}
