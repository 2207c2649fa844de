import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Update } from 'grammy/types';
import type { TableName } from '../../lambdas/ports/key-value-store.ts';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack/stack.ts';

export const ADMIN_ID = 1001;

export interface BotReply {
  chatId: number;
  messageId: number;
  text: string;
}

/**
 * Drives the local stack as a person does: messages go in through the Bot API emulator's client
 * API, replies are read back from what the bot sent to the emulator.
 */
export class StackHarness {
  private constructor(
    readonly dataDir: string,
    readonly env: NodeJS.ProcessEnv,
    public stack: LocalStack,
  ) {}

  static async start(env: NodeJS.ProcessEnv = {}): Promise<StackHarness> {
    const dataDir = await mkdtemp(join(tmpdir(), 'orchestrator-it-'));
    // A port range of its own for the apps it deploys: stacks of tests running side by side would
    // otherwise deploy to the same ports, and one's smoke test could pass on the other's app.
    // Below 32768, where Linux hands out ephemeral ports (the stack's own servers listen on those).
    const base = 21_000 + 200 * Math.floor(Math.random() * 58);
    const fullEnv = {
      ADMIN_TELEGRAM_IDS: String(ADMIN_ID),
      LOCAL_SERVER_PORTS: `${base}-${base + 199}`,
      ...env,
    };
    const stack = await startLocalStack({ dataDir, env: fullEnv });
    return new StackHarness(dataDir, fullEnv, stack);
  }

  /** Stops and starts the stack on the same data directory, as Ctrl-C and `npm start` do. */
  async restart(envChanges: NodeJS.ProcessEnv = {}, downForMs = 0): Promise<void> {
    await this.stack.stop();
    // Stopped for a while, as when a machine is down: whatever was due meanwhile must still come.
    if (downForMs > 0) await new Promise((r) => setTimeout(r, downForMs));
    const env = { ...this.env, ...envChanges };
    for (const [key, value] of Object.entries(envChanges)) if (value === undefined) delete env[key];
    this.stack = await startLocalStack({ dataDir: this.dataDir, env });
  }

  async dispose(): Promise<void> {
    await this.stack.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  client(userId: number, chat: { id?: number; type?: 'private' | 'group' | 'supergroup' | 'channel' } = {}) {
    return this.stack.emulator.server.getClient(this.stack.botToken, {
      userId,
      chatId: chat.id ?? userId,
      firstName: `User${userId}`,
      ...(chat.type ? { type: chat.type } : {}),
    });
  }

  /** Sends text as `userId` in their private chat (a command if it starts with '/'). */
  async say(
    userId: number,
    text: string,
    chat: { id?: number; type?: 'private' | 'group' | 'supergroup' | 'channel' } = {},
  ): Promise<void> {
    const client = this.client(userId, chat);
    await client.sendMessage(text.startsWith('/') ? client.makeCommand(text) : client.makeMessage(text));
  }

  replies(chatId: number): BotReply[] {
    const records = this.stack.emulator.server.storage.botMessages as unknown as Array<{
      messageId: number;
      message: { chat_id: number | string; text?: string };
    }>;
    return records
      .filter((r) => String(r.message.chat_id) === String(chatId))
      .map((r) => ({ chatId, messageId: r.messageId, text: r.message.text ?? '' }));
  }

  /** The inline buttons of the latest bot message in the chat that has any. */
  buttons(chatId: number): Array<{ text: string; data: string; messageId: number }> {
    const records = this.stack.emulator.server.storage.botMessages as unknown as Array<{
      messageId: number;
      message: {
        chat_id: number | string;
        reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> };
      };
    }>;
    const withButtons = records.filter(
      (r) => String(r.message.chat_id) === String(chatId) && r.message.reply_markup?.inline_keyboard,
    );
    const latest = withButtons.at(-1);
    if (!latest) return [];
    return (latest.message.reply_markup?.inline_keyboard ?? [])
      .flat()
      .map((b) => ({ text: b.text, data: b.callback_data ?? '', messageId: latest.messageId }));
  }

  /** Presses a button (sends a callback query) as `userId` in `chatId`'s chat. */
  async press(userId: number, data: string, chatId = userId): Promise<void> {
    const client = this.client(userId, { id: chatId });
    const messageId = this.buttons(chatId)[0]?.messageId ?? 1;
    const query = client.makeCallbackQuery(data, {
      message: { message_id: messageId, chat: { id: chatId, type: 'private' } },
    } as never);
    await client.sendCallback(query);
  }

  /** The texts the bot sent to the chat, oldest first. */
  texts(chatId: number): string[] {
    return this.replies(chatId).map((r) => r.text);
  }

  /**
   * Waits for the bot's `nth` reply in the chat matching `pattern`, among the replies from index
   * `after` on (what came before an act does not count), and returns its text. Fails with every
   * reply so far, which is what a reader of a failed test wants to see.
   */
  async waitForText(
    chatId: number,
    pattern: RegExp,
    options: { timeoutMs?: number; after?: number; nth?: number } = {},
  ): Promise<string> {
    const { timeoutMs = 60_000, after = 0, nth = 1 } = options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.texts(chatId)
        .slice(after)
        .filter((t) => pattern.test(t));
      if (found.length >= nth) return found[nth - 1] ?? '';
      if (Date.now() > deadline)
        throw new Error(`no reply matching ${pattern}; got ${JSON.stringify(this.texts(chatId))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for a confirmation question and presses its (latest) Confirm button as the chat's person. */
  async confirm(userId: number, question: RegExp, options: { timeoutMs?: number; nth?: number } = {}) {
    await this.waitForText(userId, question, { timeoutMs: 30_000, ...options });
    const buttons = this.buttons(userId).filter((b) => b.text === 'Confirm');
    await this.press(userId, buttons.at(-1)?.data ?? '');
  }

  /** Waits until the chat has at least `count` replies, then returns them all. */
  async waitForReplies(chatId: number, count: number, timeoutMs = 45_000): Promise<BotReply[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const replies = this.replies(chatId);
      if (replies.length >= count) return replies;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`chat ${chatId}: expected ${count} replies, got ${JSON.stringify(this.replies(chatId))}`);
  }

  /** Waits until everything sent so far has been delivered, queued and consumed. */
  async settle(timeoutMs = 45_000): Promise<void> {
    await this.stack.drainDeliveries();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const stats = this.queueStats();
      if (stats.visible === 0 && stats.inFlight === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('queue did not drain');
  }

  queueStats(): { visible: number; inFlight: number; deadLetters: number } {
    return (
      this.stack.runtime.queue as unknown as {
        stats(): { visible: number; inFlight: number; deadLetters: number };
      }
    ).stats();
  }

  /** POSTs a body to the webhook exactly as API Gateway would receive it. */
  postWebhook(body: string, headers: Record<string, string> = this.authHeaders()): Promise<Response> {
    return fetch(this.stack.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  }

  authHeaders(): Record<string, string> {
    return { 'x-telegram-bot-api-secret-token': this.stack.webhookSecret };
  }

  /** Every item in a table, as stored (expired ones included): for "left no trace" checks. */
  async scan(table: TableName): Promise<Record<string, unknown>[]> {
    const client = new DynamoDBClient({ endpoint: this.stack.config.dynamoEndpoint! });
    try {
      const result = await client.send(new ScanCommand({ TableName: this.stack.config.tableNames[table] }));
      return (result.Items ?? []).map((item) => unmarshall(item));
    } finally {
      client.destroy();
    }
  }
}

let nextUpdateId = 900_000_000;

/** A private-chat text update as Telegram would send it, with a fresh update_id. */
export function textUpdate(userId: number, text: string, updateId = nextUpdateId++): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: `User${userId}` },
      from: { id: userId, is_bot: false, first_name: `User${userId}` },
      text,
    },
  } as Update;
}
