import { type Api, GrammyError, InlineKeyboard } from 'grammy';
import type { ChatButton, ChatChannel } from '../../ports/chat.ts';

/** Telegram's limit for one message's text. */
const MAX_TEXT = 4096;

/** ChatChannel on the Telegram Bot API (or the emulator, by API root). */
export class TelegramChat implements ChatChannel {
  constructor(private readonly api: Api) {}

  async send(chatId: number, text: string, buttons?: ChatButton[][]): Promise<{ messageId: number }> {
    const keyboard = buttons
      ? InlineKeyboard.from(buttons.map((row) => row.map((b) => InlineKeyboard.text(b.text, b.data))))
      : undefined;
    const message = await this.api.sendMessage(
      chatId,
      clip(text),
      keyboard ? { reply_markup: keyboard } : {},
    );
    return { messageId: message.message_id };
  }

  async edit(chatId: number, messageId: number, text: string): Promise<void> {
    // An edited question loses its buttons: an answered confirmation cannot be pressed again.
    await this.api.editMessageText(chatId, messageId, clip(text), { reply_markup: { inline_keyboard: [] } });
  }

  async delete(chatId: number, messageId: number): Promise<boolean> {
    try {
      return await this.api.deleteMessage(chatId, messageId);
    } catch (error) {
      // 400: message already deleted or older than 48 h; nothing more we can do.
      if (error instanceof GrammyError && error.error_code === 400) return false;
      throw error;
    }
  }
}

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}
