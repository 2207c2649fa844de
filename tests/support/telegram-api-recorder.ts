import type { Bot, Context, Transformer } from 'grammy';
import type { Chat, Update, User } from 'grammy/types';

/**
 * Bot tests without a network, the way grammY tests itself: the bot is built with `botInfo` (so
 * it never calls getMe), a transformer on `bot.api` records every outgoing Bot API call and
 * answers it with a fake `{ ok: true, result }`, and updates go in through `bot.handleUpdate`.
 * grammY copies `bot.api`'s transformers onto each update's context, so `ctx.reply` is recorded too.
 */
export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
}

export interface ApiFailure {
  error_code: number;
  description: string;
}

export interface TelegramApiRecorder {
  readonly calls: ApiCall[];
  callsTo(method: string): ApiCall[];
  /** Texts of the sendMessage calls, in order, optionally only those to one chat. */
  sentTexts(chatId?: number): string[];
  /** Makes the next `times` calls of `method` fail as Telegram would (`ok: false`); recorded all the same. */
  failNext(method: string, failure: ApiFailure, times?: number): void;
  clear(): void;
}

const FAKE_DATE = 1_700_000_000;

export function recordTelegramApi<C extends Context>(bot: Bot<C>): TelegramApiRecorder {
  const calls: ApiCall[] = [];
  const failures: Array<{ method: string; failure: ApiFailure; left: number }> = [];
  let nextMessageId = 1;

  const fakeResult = (method: string, payload: Record<string, unknown>): unknown => {
    if (method === 'sendMessage') {
      const chatId = Number(payload.chat_id);
      return {
        message_id: nextMessageId++,
        date: FAKE_DATE,
        chat:
          chatId > 0
            ? { id: chatId, type: 'private', first_name: 'Someone' }
            : { id: chatId, type: 'group', title: 'A group' },
        text: payload.text,
      };
    }
    return true;
  };

  const transformer: Transformer = async (_prev, method, payload) => {
    const recorded = { ...(payload as Record<string, unknown>) };
    calls.push({ method, payload: recorded });
    const planned = failures.find((f) => f.method === method && f.left > 0);
    if (planned) {
      planned.left -= 1;
      return { ok: false, ...planned.failure } as never;
    }
    return { ok: true, result: fakeResult(method, recorded) } as never;
  };
  bot.api.config.use(transformer);

  return {
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    sentTexts: (chatId) =>
      calls
        .filter(
          (c) => c.method === 'sendMessage' && (chatId === undefined || Number(c.payload.chat_id) === chatId),
        )
        .map((c) => String(c.payload.text)),
    failNext: (method, failure, times = 1) => {
      failures.push({ method, failure, left: times });
    },
    clear: () => {
      calls.length = 0;
      failures.length = 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Update factories. Private chats have the user's id as chat id, as in Telegram.

let lastUpdateId = 10_000;

/** A fresh, increasing update id, so tests do not collide on deduplication by accident. */
export function nextUpdateId(): number {
  lastUpdateId += 1;
  return lastUpdateId;
}

export function telegramUser(id: number, firstName = `User${id}`): User {
  return { id, is_bot: false, first_name: firstName, language_code: 'en' };
}

interface MessageOptions {
  updateId?: number;
  firstName?: string;
  /** Message id inside the chat; defaults to the update id. */
  messageId?: number;
}

function messageUpdate(from: User, chat: Chat, text: string, options: MessageOptions, extra = {}): Update {
  const updateId = options.updateId ?? nextUpdateId();
  return {
    update_id: updateId,
    message: {
      message_id: options.messageId ?? updateId,
      date: FAKE_DATE,
      chat,
      from,
      text,
      ...extra,
    },
  } as Update;
}

function privateChat(user: User): Chat.PrivateChat {
  return { id: user.id, type: 'private', first_name: user.first_name };
}

/** A plain text message from `userId` in their private chat with the bot. */
export function privateText(userId: number, text: string, options: MessageOptions = {}): Update {
  const from = telegramUser(userId, options.firstName);
  return messageUpdate(from, privateChat(from), text, options);
}

/** `/command args` in a private chat, with the bot_command entity Telegram adds. */
export function privateCommand(
  userId: number,
  command: string,
  args = '',
  options: MessageOptions = {},
): Update {
  const from = telegramUser(userId, options.firstName);
  const head = `/${command}`;
  const text = args ? `${head} ${args}` : head;
  return messageUpdate(from, privateChat(from), text, options, {
    entities: [{ type: 'bot_command', offset: 0, length: head.length }],
  });
}

/** A text message from `userId` in a group (or supergroup) the bot is in. */
export function groupText(
  userId: number,
  text: string,
  options: MessageOptions & { chatId?: number; type?: 'group' | 'supergroup' } = {},
): Update {
  const from = telegramUser(userId, options.firstName);
  const chat = { id: options.chatId ?? -100_123, type: options.type ?? 'group', title: 'A group' } as Chat;
  return messageUpdate(from, chat, text, options);
}

/** A tap on an inline button under a bot message in `userId`'s private chat. */
export function callbackQuery(userId: number, data: string, options: { updateId?: number } = {}): Update {
  const from = telegramUser(userId);
  const updateId = options.updateId ?? nextUpdateId();
  return {
    update_id: updateId,
    callback_query: {
      id: `cbq-${updateId}`,
      from,
      chat_instance: `instance-${userId}`,
      data,
      message: {
        message_id: 1,
        date: FAKE_DATE,
        chat: privateChat(from),
        from: { id: 7_000_000_001, is_bot: true, first_name: 'bot' },
        text: 'Pick one',
      },
    },
  } as Update;
}
