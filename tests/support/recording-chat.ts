import type { ChatButton, ChatChannel } from '../../lambdas/ports/chat.ts';

export interface SentMessage {
  chatId: number;
  messageId: number;
  text: string;
  buttons?: ChatButton[][];
}

/** ChatChannel that records what an agent sends, edits and deletes; `failNextSend` plans an outage. */
export class RecordingChat implements ChatChannel {
  readonly sent: SentMessage[] = [];
  readonly edits: Array<{ chatId: number; messageId: number; text: string }> = [];
  readonly deletes: Array<{ chatId: number; messageId: number }> = [];
  private nextMessageId = 500;
  private failures: Error[] = [];

  async send(chatId: number, text: string, buttons?: ChatButton[][]): Promise<{ messageId: number }> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.nextMessageId += 1;
    this.sent.push({ chatId, messageId: this.nextMessageId, text, ...(buttons ? { buttons } : {}) });
    return { messageId: this.nextMessageId };
  }

  async edit(chatId: number, messageId: number, text: string): Promise<void> {
    this.edits.push({ chatId, messageId, text });
  }

  async delete(chatId: number, messageId: number): Promise<boolean> {
    this.deletes.push({ chatId, messageId });
    return true;
  }

  /** The next send throws this error (nothing is recorded as sent). */
  failNextSend(error: Error): void {
    this.failures.push(error);
  }

  texts(): string[] {
    return this.sent.map((m) => m.text);
  }
}
