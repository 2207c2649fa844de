/**
 * Chat port: how agents talk to a person. Telegram through grammY in AWS, the Bot API emulator
 * locally (same adapter, other API root).
 */
export interface ChatButton {
  text: string;
  /** Opaque callback data, at most 64 bytes (Telegram's limit). */
  data: string;
}

export interface ChatChannel {
  send(chatId: number, text: string, buttons?: ChatButton[][]): Promise<{ messageId: number }>;
  edit(chatId: number, messageId: number, text: string): Promise<void>;
  /** Deletes a message; false if it was already gone or too old to delete. */
  delete(chatId: number, messageId: number): Promise<boolean>;
}
