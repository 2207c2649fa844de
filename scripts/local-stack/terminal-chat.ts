import { createInterface } from 'node:readline';
import type { RunningEmulator } from './telegram-emulator.ts';

export interface TerminalChatOptions {
  emulator: RunningEmulator;
  botToken: string;
  userId: number;
  userName: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

interface BotRecord {
  messageId: number;
  message: {
    chat_id: number | string;
    text?: string;
    reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] };
  };
}

/**
 * The person's side of the chat: each line typed is sent through the emulator's client API as a
 * Telegram message from `userId`; the bot's messages to that chat are printed as they arrive.
 * `/as <id>` switches the Telegram user, `/press <n>` presses an inline button of the last message.
 */
export function startTerminalChat(options: TerminalChatOptions): { stop(): void; done: Promise<void> } {
  const output = options.output ?? process.stdout;
  let userId = options.userId;
  let client = options.emulator.server.getClient(options.botToken, {
    userId,
    chatId: userId,
    firstName: options.userName,
  });
  const seen = new Set<string>();
  let lastButtons: { text: string; data: string }[] = [];
  let lastButtonsMessageId = 0;
  const print = (line: string) => output.write(`${line}\n`);

  const showBotMessages = () => {
    const records = options.emulator.server.storage.botMessages as unknown as BotRecord[];
    for (const record of records) {
      const key = `${record.message.chat_id}:${record.messageId}:${record.message.text ?? ''}`;
      if (String(record.message.chat_id) !== String(userId) || seen.has(key)) continue;
      seen.add(key);
      print(`bot> ${record.message.text ?? '(no text)'}`);
      const rows = record.message.reply_markup?.inline_keyboard ?? [];
      lastButtons = rows.flat().map((b) => ({ text: b.text, data: b.callback_data ?? '' }));
      lastButtonsMessageId = record.messageId;
      for (const [index, button] of lastButtons.entries()) print(`     [${index + 1}] ${button.text}`);
    }
  };
  // Everything already in the history counts as seen: only new replies are printed.
  for (const record of options.emulator.server.storage.botMessages as unknown as BotRecord[]) {
    seen.add(`${record.message.chat_id}:${record.messageId}:${record.message.text ?? ''}`);
  }
  const timer = setInterval(showBotMessages, 100);

  const rl = createInterface({ input: options.input ?? process.stdin, terminal: false });
  rl.on('line', (raw) => {
    const line = raw.trim();
    if (!line) return;
    const switchUser = /^\/as\s+(\d{1,15})$/.exec(line);
    if (switchUser) {
      userId = Number(switchUser[1]);
      client = options.emulator.server.getClient(options.botToken, {
        userId,
        chatId: userId,
        firstName: `User ${userId}`,
      });
      print(`(you are now Telegram user ${userId})`);
      return;
    }
    const press = /^\/press\s+(\d+)$/.exec(line);
    if (press) {
      const button = lastButtons[Number(press[1]) - 1];
      if (!button) return print('(no such button)');
      void client
        // As Telegram sends it: the pressed message's id and chat (the webhook refuses less).
        .sendCallback(
          client.makeCallbackQuery(button.data, {
            message: { message_id: lastButtonsMessageId, chat: { id: userId, type: 'private' } },
          } as never),
        )
        .catch((e: unknown) => print(`(send failed: ${e})`));
      return;
    }
    const message = line.startsWith('/') ? client.makeCommand(line) : client.makeMessage(line);
    void client.sendMessage(message).catch((e: unknown) => print(`(send failed: ${e})`));
  });
  const done = new Promise<void>((resolve) => rl.once('close', resolve));
  return {
    done,
    stop: () => {
      clearInterval(timer);
      rl.close();
    },
  };
}
