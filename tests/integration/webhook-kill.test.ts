import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import { afterEach, describe, expect, it } from 'vitest';
import { EncryptedFileSecretStore } from '../../lambdas/adapters/local/encrypted-file-secrets.ts';
import { SECRET_NAMES } from '../../lambdas/config/secret-names.ts';
import { freePort } from '../../scripts/local-stack/http-util.ts';
import { botTexts, killGroup, startStackProcess, waitFor } from '../support/stack-process.ts';

const USERS = Array.from({ length: 10 }, (_, i) => 5001 + i);
const UPDATES_PER_USER = 10;

function update(updateId: number, userId: number, text: string) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: `U${userId}` },
      from: { id: userId, is_bot: false, first_name: `U${userId}` },
      text,
    },
  };
}

describe('the webhook under kill -9', () => {
  let dataDir = '';
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children) killGroup(child);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers every update exactly once when the stack is killed mid-burst and Telegram resends', async () => {
    // Prepare: ten admitted people, each about to send ten updates, chats in parallel
    dataDir = await mkdtemp(join(tmpdir(), 'orchestrator-webhook-kill-'));
    const [httpPort, telegramPort] = [await freePort(), await freePort()];
    const env = {
      LOCAL_DATA_DIR: dataDir,
      LOCAL_HTTP_PORT: String(httpPort),
      LOCAL_TELEGRAM_PORT: String(telegramPort),
      // Its own Step Functions port: another stack (a parallel test, a developer's npm start) may hold 3001.
      LOCAL_SFN_PORT: String(await freePort()),
      ADMIN_TELEGRAM_IDS: USERS.join(','),
      LOCAL_QUEUE_VISIBILITY_SECONDS: '2',
      // A transient failure right after the restart is retried in seconds, not the deployed 20 s+.
      UPDATE_RETRY_BASE_SECONDS: '1',
      UPDATE_RETRY_MAX_SECONDS: '5',
      CONVERSATION_LEASE_SECONDS: '2',
    };
    const first = await startStackProcess(env);
    children.push(first.child);
    const secrets = new EncryptedFileSecretStore({ dir: join(dataDir, 'secrets') });
    const webhookSecret = await secrets.get(SECRET_NAMES.webhookSecret);
    const token = await secrets.get(SECRET_NAMES.botToken);
    const webhook = `http://127.0.0.1:${httpPort}/telegram/webhook`;
    const post = async (body: unknown): Promise<number> => {
      try {
        const response = await fetch(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': webhookSecret },
          body: JSON.stringify(body),
        });
        await response.arrayBuffer();
        return response.status;
      } catch {
        return 0; // connection reset by the kill: Telegram would resend
      }
    };
    let nextId = 700_000;
    const plan = USERS.map((userId) =>
      Array.from({ length: UPDATES_PER_USER }, (_, i) => update(nextId++, userId, `list my projects ${i}`)),
    );

    // Act: each chat delivers its updates one at a time (as Telegram does); kill -9 mid-burst
    const statuses = new Map<number, number>();
    const burst = Promise.all(
      plan.map(async (updates) => {
        for (const u of updates) statuses.set(u.update_id, await post(u));
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    killGroup(first.child);
    await first.exited;
    await burst;
    const unanswered = plan.flat().filter((u) => statuses.get(u.update_id) !== 200);

    // ... restart on the same data and resend, like Telegram, every update that got no 200
    const second = await startStackProcess(env);
    children.push(second.child);
    for (const u of unanswered) expect(await post(u)).toBe(200);

    // Assess: every update answered, none twice, in every chat
    const client = (userId: number) =>
      new TelegramClient(`http://127.0.0.1:${telegramPort}`, token, { userId, chatId: userId });
    let seen: number[] = [];
    const counts = await waitFor(async () => {
      const perChat = await Promise.all(USERS.map(async (id) => (await botTexts(client(id), id)).length));
      seen = perChat;
      return perChat.every((n) => n >= UPDATES_PER_USER) ? perChat : undefined;
    }, 90_000).catch((error: unknown) => {
      throw new Error(
        `${String(error)}: replies per chat ${JSON.stringify(seen)}; unanswered at the kill: ${unanswered.length}; ${second.output().slice(-3000)}`,
      );
    });
    // Time for any duplicate to show up before counting again.
    await new Promise((r) => setTimeout(r, 3_000));
    const settled = await Promise.all(USERS.map(async (id) => (await botTexts(client(id), id)).length));
    expect(unanswered.length).toBeGreaterThan(0);
    expect(counts).toEqual(USERS.map(() => UPDATES_PER_USER));
    expect(settled).toEqual(USERS.map(() => UPDATES_PER_USER));
  }, 180_000);
});
