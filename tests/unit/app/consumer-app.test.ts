import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Update } from 'grammy/types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConsumerApp, type ConsumerHandler } from '../../../lambdas/app/consumer-app.ts';
import { MESSAGES } from '../../../lambdas/bot/messages.ts';
import { loadConfig } from '../../../lambdas/config/config.ts';
import { ConversationLeases } from '../../../lambdas/domain/conversations/conversation-lease.ts';
import { ProjectRepository } from '../../../lambdas/domain/projects/project-repository.ts';
import type { ChatSession } from '../../../lambdas/domain/sessions/chat-session.ts';
import type { OutgoingMessage, QueueConsumer, QueueProducer } from '../../../lambdas/ports/queue.ts';
import { SecretNotFoundError, type SecretStore } from '../../../lambdas/ports/secrets.ts';
import { assembleRuntime, type Runtime } from '../../../lambdas/runtime/runtime.ts';
import { createLogger } from '../../../lambdas/shared/logger.ts';
import { MemoryStore } from '../../support/memory-store.ts';
import { privateText } from '../../support/telegram-api-recorder.ts';

const TOKEN = '7000000001:abc';
const CHAT_A = 1001;
const CHAT_B = 1002;
const LEASE_SECONDS = 120;
const STRANGER = 3003;
const MAX_ATTEMPTS = 4;

// --- A stand-in for the Bot API on loopback: records calls, answers ok or a planned failure. ---

interface BotApiCall {
  token: string;
  method: string;
  payload: Record<string, unknown>;
}

interface BotApiServer {
  url: string;
  calls: BotApiCall[];
  /** The next `times` sendMessage calls to `chatId` fail with this HTTP status. */
  failChat(chatId: number, status: number, times?: number): void;
  textsTo(chatId: number): string[];
  reset(): void;
  close(): Promise<void>;
}

async function startBotApiServer(): Promise<BotApiServer> {
  const calls: BotApiCall[] = [];
  let failures: Array<{ chatId: number; status: number; left: number }> = [];
  let nextMessageId = 1;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(request.url ?? '');
    const raw = Buffer.concat(chunks).toString('utf8');
    const payload = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (!match) return answer(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token = '', method = ''] = match;
    calls.push({ token, method, payload });
    const failure = failures.find((f) => f.chatId === Number(payload.chat_id) && f.left > 0);
    if (failure) {
      failure.left -= 1;
      const description =
        failure.status === 403 ? 'Forbidden: bot was blocked by the user' : 'Planned failure';
      return answer(failure.status, { ok: false, error_code: failure.status, description });
    }
    if (method !== 'sendMessage') return answer(200, { ok: true, result: true });
    const chatId = Number(payload.chat_id);
    return answer(200, {
      ok: true,
      result: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: 'private', first_name: 'Someone' },
        text: payload.text,
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failChat: (chatId, status, times = 1) => {
      failures.push({ chatId, status, left: times });
    },
    textsTo: (chatId) =>
      calls
        .filter((c) => c.method === 'sendMessage' && Number(c.payload.chat_id) === chatId)
        .map((c) => String(c.payload.text)),
    reset: () => {
      calls.length = 0;
      failures = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// --- Runtime pieces ---------------------------------------------------------------------------

class MapSecrets implements SecretStore {
  constructor(private readonly values: Map<string, string>) {}
  async get(name: string): Promise<string> {
    const value = this.values.get(name);
    if (value === undefined) throw new SecretNotFoundError(name);
    return value;
  }
  async put(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }
  async delete(name: string): Promise<void> {
    this.values.delete(name);
  }
}

/**
 * The consumer is driven by the Lambda event, never by the queue port, except to shorten the
 * visibility of a message whose conversation is busy; those calls are recorded.
 */
interface ConsumerQueue extends QueueProducer, QueueConsumer {
  visibilityChanges: Array<{ receiptHandle: string; timeoutMs: number }>;
  failVisibilityChanges: boolean;
}

function consumerQueue(): ConsumerQueue {
  const queue: ConsumerQueue = {
    visibilityChanges: [],
    failVisibilityChanges: false,
    send: () => Promise.reject(new Error('the consumer must not send')),
    receive: () => Promise.reject(new Error('the consumer must not receive')),
    delete: () => Promise.reject(new Error('the consumer must not delete')),
    changeVisibility: async (receiptHandle, timeoutMs) => {
      queue.visibilityChanges.push({ receiptHandle, timeoutMs });
      if (queue.failVisibilityChanges) throw new Error('SQS is unavailable');
    },
  };
  return queue;
}

function recordingProducer() {
  const sent: OutgoingMessage[] = [];
  return {
    sent,
    send: async (message: OutgoingMessage) => {
      sent.push(message);
    },
  };
}

let sequence = 0;
function sqsRecord(groupId: string, body: string): SQSRecord {
  sequence += 1;
  return {
    messageId: `msg-${sequence}`,
    receiptHandle: `handle-${sequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1767225600000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600001',
      SequenceNumber: String(18_800_000_000_000_000_000 + sequence),
      MessageGroupId: groupId,
      MessageDeduplicationId: `dedup-${sequence}`,
    },
    messageAttributes: {},
    md5OfBody: 'md5',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:updates.fifo',
    awsRegion: 'eu-west-1',
  };
}

const recordFor = (update: Update) => sqsRecord(String(update.message?.chat.id), JSON.stringify(update));
const eventOf = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const failedIds = (response: { batchItemFailures: Array<{ itemIdentifier: string }> }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier);

let telegram: BotApiServer;
let dir: string;
let store: MemoryStore;
let queue: ConsumerQueue;
let deadLetters: ReturnType<typeof recordingProducer>;
let runtime: Runtime;
let handler: ConsumerHandler;

const messageCount = async (chatId: number) =>
  ((await store.get('sessions', { pk: `SESSION#${chatId}`, sk: 'CHAT' }))?.data as ChatSession | undefined)
    ?.messageCount;

beforeAll(async () => {
  telegram = await startBotApiServer();
});

afterAll(async () => {
  await telegram.close();
});

beforeEach(async () => {
  telegram.reset();
  dir = await mkdtemp(join(tmpdir(), 'consumer-app-'));
  const config = loadConfig({
    TELEGRAM_BOT_USERNAME: 'orchestrator_bot',
    ADMIN_TELEGRAM_IDS: `${CHAT_A},${CHAT_B}`,
    TELEGRAM_API_ROOT: telegram.url,
    QUEUE_DRIVER: 'local-file',
    LOCAL_QUEUE_DIR: join(dir, 'queue'),
    SECRETS_DRIVER: 'local-file',
    LOCAL_SECRETS_DIR: join(dir, 'secrets'),
    CONVERSATION_LEASE_SECONDS: String(LEASE_SECONDS),
    UPDATE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  });
  const secrets = new MapSecrets(new Map([[config.secretIds.botToken, TOKEN]]));
  const logger = createLogger('consumer-app-test');
  vi.spyOn(logger, 'error').mockImplementation(() => undefined);
  vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  store = new MemoryStore();
  queue = consumerQueue();
  deadLetters = recordingProducer();
  runtime = assembleRuntime(config, { store, queue, deadLetters, secrets }, logger);
  handler = await buildConsumerApp(runtime);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('consumer app: a healthy batch', () => {
  it('answers every record in order with the bot token and reports no failures', async () => {
    // Prepare
    const records = [
      recordFor(privateText(CHAT_A, 'list my projects')),
      recordFor(privateText(CHAT_B, 'create project bot-number-3: a bot')),
      recordFor(privateText(CHAT_A, 'list my projects')),
    ];

    // Act
    const response = await handler(eventOf(...records));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(telegram.calls.map((c) => [c.token, c.method, c.payload.chat_id])).toEqual([
      [TOKEN, 'sendMessage', CHAT_A],
      [TOKEN, 'sendMessage', CHAT_B],
      [TOKEN, 'sendMessage', CHAT_A],
    ]);
    expect(telegram.textsTo(CHAT_B)).toHaveLength(1);
    const projects = await new ProjectRepository(store).listByOwner(CHAT_B);
    expect(projects.map((p) => p.name)).toEqual(['bot-number-3']);
    expect([await messageCount(CHAT_A), await messageCount(CHAT_B)]).toEqual([2, 1]);
    expect(queue.visibilityChanges).toEqual([]);
  });

  it('answers an empty batch with no failures', async () => {
    // Act
    const response = await handler(eventOf());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
  });
});

describe('consumer app: failures', () => {
  it.each([
    { what: 'text', body: 'not json' },
    { what: 'an empty object', body: '{}' },
    { what: 'null', body: 'null' },
    { what: 'a string update_id', body: '{"update_id":"5"}' },
    {
      what: 'a number as text',
      body: JSON.stringify({
        ...privateText(CHAT_A, 'x'),
        message: { ...privateText(CHAT_A, 'x').message, text: 12345 },
      }),
    },
  ])(
    'moves a record whose body is $what to the dead letters at once and answers the others',
    async ({ body }) => {
      // Prepare
      const bad = sqsRecord(String(CHAT_A), body);
      const good = recordFor(privateText(CHAT_B, 'list my projects'));

      // Act
      const response = await handler(eventOf(bad, good));

      // Assess
      expect(failedIds(response)).toEqual([]);
      expect(deadLetters.sent).toEqual([
        { groupId: String(CHAT_A), deduplicationId: `dead-${bad.messageId}`, body },
      ]);
      expect(telegram.textsTo(CHAT_B)).toHaveLength(1);
    },
  );

  it("keeps chat order after a Telegram 500: A2 and the later A3 fail, chat B's records succeed", async () => {
    // Prepare: A1 has gone through before A2 breaks.
    await handler(eventOf(recordFor(privateText(CHAT_A, 'list my projects'))));
    const b1 = recordFor(privateText(CHAT_B, 'list my projects'));
    telegram.failChat(CHAT_A, 500);
    const a2 = recordFor(privateText(CHAT_A, 'list my projects'));
    const b2 = recordFor(privateText(CHAT_B, 'list my projects'));
    const a3 = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act
    const response = await handler(eventOf(b1, a2, b2, a3));

    // Assess
    expect(failedIds(response)).toEqual([a2.messageId, a3.messageId]);
    expect(telegram.textsTo(CHAT_B)).toHaveLength(2);
    // A3 was never handled: chat A saw the reply to A1 and the failed try of A2.
    expect(telegram.textsTo(CHAT_A)).toHaveLength(2);
    expect(await messageCount(CHAT_A)).toBe(1);
    // A3 comes back with A2, not after the queue's full visibility timeout.
    expect(queue.visibilityChanges.map((c) => c.receiptHandle)).toEqual([a2.receiptHandle, a3.receiptHandle]);
    expect(queue.visibilityChanges[1]?.timeoutMs).toBe(queue.visibilityChanges[0]?.timeoutMs);
  });

  it.each([
    { status: 403, failed: false, meaning: 'user blocked the bot: dropped' },
    { status: 400, failed: false, meaning: 'a request Telegram will never take: dropped' },
    { status: 429, failed: true, meaning: 'rate limited: retried' },
    { status: 500, failed: true, meaning: 'Telegram broken: retried' },
    { status: 502, failed: true, meaning: 'Telegram unreachable: retried' },
  ])('treats a Telegram $status reply as failed: $failed ($meaning)', async ({ status, failed }) => {
    // Prepare
    telegram.failChat(CHAT_A, status);
    const refused = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act
    const response = await handler(eventOf(refused));

    // Assess
    expect(failedIds(response)).toEqual(failed ? [refused.messageId] : []);
    expect(deadLetters.sent).toEqual([]);
  });

  it.each([403, 400])(
    "answers the chat's next message at once after an update dropped for a Telegram %i",
    async (status) => {
      // Prepare
      telegram.failChat(CHAT_A, status);
      const refused = recordFor(privateText(CHAT_A, 'list my projects'));
      const later = recordFor(privateText(CHAT_A, 'list my projects'));

      // Act
      const response = await handler(eventOf(refused, later));

      // Assess: the dropped update must not leave the conversation leased to nobody
      expect(failedIds(response)).toEqual([]);
      expect(queue.visibilityChanges).toEqual([]);
      expect(await messageCount(CHAT_A)).toBe(1);
      expect(telegram.textsTo(CHAT_A).length).toBeGreaterThanOrEqual(2);
    },
  );

  it('does not count a message twice when its first try failed, nor send its reply twice', async () => {
    // Prepare
    telegram.failChat(CHAT_A, 500);
    const record = recordFor(privateText(CHAT_A, 'list my projects'));
    const first = await handler(eventOf(record));

    // Act: SQS redelivers the same record.
    const retry = await handler(eventOf(record));

    // Assess
    expect(failedIds(first)).toEqual([record.messageId]);
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(await messageCount(CHAT_A)).toBe(1);
    // respond_to_user is not repeated once started: the failed try was the only send.
    expect(telegram.textsTo(CHAT_A)).toHaveLength(1);
  });

  it('retries an outage with growing jittered delays, then gives up into the dead letters and says so', async () => {
    // Prepare: the sessions table is unreachable for as long as this runs.
    const get = store.get.bind(store);
    vi.spyOn(store, 'get').mockImplementation((table, key) =>
      table === 'sessions' ? Promise.reject(new Error('DynamoDB unavailable')) : get(table, key),
    );
    const record = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act: SQS redelivers it after each delay the consumer asked for.
    const failedEach: string[][] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) failedEach.push(failedIds(await handler(eventOf(record))));

    // Assess
    expect(failedEach).toEqual([...Array(MAX_ATTEMPTS - 1).fill([record.messageId]), []]);
    const delays = queue.visibilityChanges.map((c) => c.timeoutMs);
    expect(delays).toHaveLength(MAX_ATTEMPTS - 1);
    delays.forEach((delay, i) => {
      const ceiling = Math.min(900_000, 20_000 * 2 ** i);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
    expect(deadLetters.sent.map((m) => m.body)).toEqual([record.body]);
    expect(telegram.textsTo(CHAT_A).at(-1)).toBe(MESSAGES.gaveUp(MAX_ATTEMPTS));
  });

  it('answers an update once when Telegram resent it as a second queue message', async () => {
    // Prepare: the webhook queued it, died before answering 200, and the resend came after the
    // queue's five-minute dedup window: two queue messages with one update.
    const update = privateText(CHAT_A, 'list my projects');
    const first = recordFor(update);
    const second = recordFor(update);

    // Act
    const responses = [await handler(eventOf(first)), await handler(eventOf(second))];

    // Assess
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(telegram.textsTo(CHAT_A)).toHaveLength(1);
    expect(await messageCount(CHAT_A)).toBe(1);
  });
});

describe('consumer app: strangers', () => {
  it('refuses a stranger once however often the update is delivered, storing only its claim', async () => {
    // Prepare
    const update = privateText(STRANGER, 'let me in');
    const deliveries = Array.from({ length: 5 }, () => recordFor(update));

    // Act
    for (const delivery of deliveries) await handler(eventOf(delivery));

    // Assess
    expect(telegram.textsTo(STRANGER)).toEqual([MESSAGES.refusal]);
    expect(store.dump('dedup').map((i) => i.pk)).toEqual([`UPDATE#7000000001#${update.update_id}`]);
    expect(store.size()).toBe(1);
  });
});

describe('consumer app: a conversation another worker holds', () => {
  /** Another worker takes chat A's conversation lease, as a concurrent consumer would. */
  const holdConversation = (chatId: number, leaseSeconds = LEASE_SECONDS) =>
    new ConversationLeases(store, leaseSeconds).acquire(chatId, 'other-worker');

  it("fails the record, keeps the chat's later records behind it and looks again when the lease runs out", async () => {
    // Prepare
    await holdConversation(CHAT_A);
    const a1 = recordFor(privateText(CHAT_A, 'list my projects'));
    const b1 = recordFor(privateText(CHAT_B, 'list my projects'));
    const a2 = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act
    const response = await handler(eventOf(a1, b1, a2));

    // Assess
    expect(failedIds(response)).toEqual([a1.messageId, a2.messageId]);
    // Both of chat A's messages come back when the lease runs out (a2 would otherwise hold A's
    // message group for the full visibility timeout); chat B's is not touched.
    expect(queue.visibilityChanges).toEqual([
      { receiptHandle: a1.receiptHandle, timeoutMs: expect.any(Number) },
      { receiptHandle: a2.receiptHandle, timeoutMs: queue.visibilityChanges[0]?.timeoutMs },
    ]);
    const timeoutMs = queue.visibilityChanges[0]?.timeoutMs ?? 0;
    expect(timeoutMs).toBeGreaterThanOrEqual((LEASE_SECONDS - 2) * 1000);
    expect(timeoutMs).toBeLessThanOrEqual((LEASE_SECONDS + 1) * 1000);
    expect(telegram.textsTo(CHAT_A)).toEqual([]);
    expect(telegram.textsTo(CHAT_B)).toHaveLength(1);
    expect(await messageCount(CHAT_A)).toBeUndefined();
  });

  it('waits at most 15 minutes (the SQS maximum it asks for), however long the lease', async () => {
    // Prepare
    await holdConversation(CHAT_A, 3600);
    const record = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act
    const response = await handler(eventOf(record));

    // Assess
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(queue.visibilityChanges.map((c) => c.timeoutMs)).toEqual([900_000]);
  });

  it('still fails the record when the visibility cannot be changed', async () => {
    // Prepare
    await holdConversation(CHAT_A);
    queue.failVisibilityChanges = true;
    const record = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act
    const response = await handler(eventOf(record));

    // Assess
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(queue.visibilityChanges).toHaveLength(1);
  });

  it('never counts a busy bounce as a failure: no dead letter however often it bounces', async () => {
    // Prepare
    const held = await holdConversation(CHAT_A);
    const record = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act
    for (let i = 0; i < MAX_ATTEMPTS * 3; i++) await handler(eventOf(record));
    await new ConversationLeases(store, LEASE_SECONDS).release(held);
    const last = await handler(eventOf(record));

    // Assess
    expect(last).toEqual({ batchItemFailures: [] });
    expect(deadLetters.sent).toEqual([]);
    expect(await messageCount(CHAT_A)).toBe(1);
  });

  it('answers the chat once the other worker is done', async () => {
    // Prepare
    const held = await holdConversation(CHAT_A);
    const record = recordFor(privateText(CHAT_A, 'list my projects'));
    await handler(eventOf(record));
    await new ConversationLeases(store, LEASE_SECONDS).release(held);

    // Act: the redelivery after the visibility timeout
    const retry = await handler(eventOf(record));

    // Assess
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(telegram.textsTo(CHAT_A)).toHaveLength(1);
  });
});

describe('consumer app: start-up', () => {
  it('fails to build without a bot token in the secrets store', async () => {
    // Prepare
    const bare = { ...runtime, secrets: new MapSecrets(new Map()) };
    const withoutToken = assembleRuntime(
      bare.config,
      { store: bare.store, queue: bare.queue, deadLetters, secrets: bare.secrets },
      bare.logger,
    );

    // Act
    const building = buildConsumerApp(withoutToken);

    // Assess
    await expect(building).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('fails to build without a dead-letter queue, rather than lose the first update it gives up on', async () => {
    // Prepare
    const withoutDlq = assembleRuntime(
      runtime.config,
      { store, queue, secrets: runtime.secrets },
      runtime.logger,
    );

    // Act
    const building = buildConsumerApp(withoutDlq);

    // Assess
    await expect(building).rejects.toThrow(/DEAD_LETTER_QUEUE_URL/);
  });
});

describe('consumer app: an invocation about to run out of time', () => {
  it('pauses the turn, fails the record and has it back in a second', async () => {
    // Prepare: 10 s left, less than a model call is given
    const a1 = recordFor(privateText(CHAT_A, 'list my projects'));

    // Act
    const response = await handler(eventOf(a1), { getRemainingTimeInMillis: () => 10_000 });

    // Assess
    expect(failedIds(response)).toEqual([a1.messageId]);
    expect(queue.visibilityChanges).toEqual([{ receiptHandle: a1.receiptHandle, timeoutMs: 1_000 }]);
    expect(telegram.textsTo(CHAT_A)).toEqual([]);

    // Act: the next invocation has time
    const retry = await handler(eventOf(a1), { getRemainingTimeInMillis: () => 250_000 });

    // Assess
    expect(failedIds(retry)).toEqual([]);
    expect(telegram.textsTo(CHAT_A)).toHaveLength(1);
  });
});
