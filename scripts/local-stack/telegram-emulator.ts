import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import emulatorModule from 'telegram-test-api';
import type { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';

// A CommonJS module with an `exports.default`: Node's ESM interop puts the class one level down.
const TelegramServerClass = ((emulatorModule as unknown as { default?: typeof emulatorModule }).default ??
  emulatorModule) as unknown as typeof TelegramServer;

/** Counters the emulator keeps private; we persist them to act like Telegram across restarts. */
interface EmulatorCounters {
  updateId: number;
  messageId: number;
  callbackId: number;
}

/**
 * The Bot API emulator (telegram-test-api), with what real Telegram keeps and the emulator does
 * not: update and message ids keep rising across restarts (a reused update_id would be dropped
 * as a duplicate), and the chat history survives a restart. State is saved under `dir`.
 */
export interface RunningEmulator {
  server: TelegramServer;
  apiRoot: string;
  /** Resolves when every user update made so far has been handed to the webhook. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface SavedState extends EmulatorCounters {
  storage: TelegramServer['storage'];
}

function pickCounters(source: EmulatorCounters): EmulatorCounters {
  return { updateId: source.updateId, messageId: source.messageId, callbackId: source.callbackId };
}

export async function startEmulator(dir: string | undefined, port: number): Promise<RunningEmulator> {
  // Keep messages for a day: the emulator drops unread ones after storeTimeout.
  const server = new TelegramServerClass({ port, host: '127.0.0.1', storeTimeout: 24 * 3600 });
  const counters = server as unknown as EmulatorCounters;
  const idle = deliverInOrder(server);
  const statePath = dir ? join(dir, 'emulator-state.json') : undefined;
  if (dir && statePath) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const saved = await readState(statePath);
    if (saved) Object.assign(counters, pickCounters(saved));
    await server.start();
    if (saved) server.storage = saved.storage;
  } else {
    await server.start();
  }
  // Written before the emulator answers the call that changed it (its events fire synchronously
  // inside the handler), as Telegram keeps a message it acknowledged: saved later, a kill -9 right
  // after a bot's sendMessage lost a message the bot had every reason to think was delivered.
  const saveNow = () => {
    if (!statePath) return;
    const state: SavedState = { ...pickCounters(counters), storage: server.storage };
    const temp = `${statePath}.tmp`;
    try {
      writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
      renameSync(temp, statePath);
    } catch {
      // A full disk: keep serving, as before; the next change tries again.
    }
  };
  for (const event of ['AddedBotMessage', 'AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery']) {
    server.on(event, saveNow);
  }
  // A deleted message (a secret someone pasted) must leave the saved history at once too.
  const deleteMessage = server.deleteMessage.bind(server);
  server.deleteMessage = (chatId, messageId) => {
    const deleted = deleteMessage(chatId, messageId);
    if (deleted) saveNow();
    return deleted;
  };
  // Edits (a question's buttons answered) are kept before they are acknowledged too.
  const editMessageText = server.editMessageText.bind(server);
  server.editMessageText = (message) => {
    editMessageText(message);
    saveNow();
  };
  const editMessageReplyMarkup = server.editMessageReplyMarkup.bind(server);
  server.editMessageReplyMarkup = (message) => {
    editMessageReplyMarkup(message);
    saveNow();
  };
  return {
    server,
    apiRoot: server.config.apiURL,
    idle,
    stop: async () => {
      saveNow();
      await server.stop();
    },
  };
}

async function readState(path: string): Promise<SavedState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SavedState;
  } catch {
    return undefined;
  }
}

interface EmulatorDelivery {
  webhooks: Record<string, unknown>;
  getCommonFields(botToken: string): Record<string, unknown>;
  addUserUpdate(update: unknown): Promise<void>;
}

/**
 * The emulator takes the next update id only after the webhook answered, so two messages sent
 * close together got the SAME update_id (and our dedup dropped the second), and their webhook
 * calls could overtake each other. Telegram numbers updates at once and delivers one at a time:
 * reserve the ids when the update is made, and send updates to the webhook strictly in turn.
 */
function deliverInOrder(server: TelegramServer): () => Promise<void> {
  const internals = server as unknown as EmulatorDelivery & EmulatorCounters;
  const commonFields = internals.getCommonFields.bind(server);
  internals.getCommonFields = (botToken) => {
    const fields = commonFields(botToken);
    internals.updateId++;
    internals.messageId++;
    return fields;
  };
  const addUserUpdate = internals.addUserUpdate.bind(server);
  let chain: Promise<void> = Promise.resolve();
  internals.addUserUpdate = (update) => {
    const delivery = chain.then(async () => {
      await addUserUpdate(update);
      // With a webhook set the emulator forgets the person's message once delivered; Telegram
      // keeps it in the chat until someone deletes it (as we do with a secret sent in chat).
      if (internals.webhooks[(update as { botToken: string }).botToken]) {
        server.storage.userMessages.push({ ...(update as object), isRead: true } as never);
      }
    });
    chain = delivery.catch(() => undefined);
    return delivery;
  };
  return () => chain;
}
