import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportResult } from '../../lambdas/adapters/llm/offline/replies.ts';
import { MESSAGES } from '../../lambdas/bot/messages.ts';
import { TABLES } from '../../lambdas/config/tables.ts';
import { ProjectRepository } from '../../lambdas/domain/projects/project-repository.ts';
import { resultsIn, transcriptOf } from '../support/agent-transcript.ts';
import { ADMIN_ID, StackHarness, textUpdate } from '../support/local-stack-harness.ts';

const USER_ID = 2002;
const STRANGER_ID = 6666;
/** The offline model's answer to "list my projects" for someone without projects: a marker of the reply. */
const NO_PROJECTS = reportResult({ kind: 'projects_listed', projects: [] }, '');

describe('Telegram front door on the local stack', () => {
  let harness: StackHarness;

  beforeAll(async () => {
    harness = await StackHarness.start();
  });
  afterAll(async () => {
    await harness.dispose();
  });

  it('answers an admin', async () => {
    // Act
    await harness.say(ADMIN_ID, '/start');
    await harness.say(ADMIN_ID, 'create project weather-bot: forecasts');

    // Assess
    const replies = await harness.waitForReplies(ADMIN_ID, 2);
    expect(replies[0]?.text).toContain('Hi User1001');
    const projects = await new ProjectRepository(harness.stack.runtime.store).listByOwner(ADMIN_ID);
    expect(projects.map((p) => p.name)).toEqual(['weather-bot']);
    // ... and the operator's counters saw it (GET /metrics of the local HTTP API)
    await harness.settle();
    const response = await fetch(harness.stack.webhookUrl.replace('/telegram/webhook', '/metrics'));
    const metrics = (await response.json()) as Record<string, number>;
    // create_project, respond_to_user, finish
    expect(metrics).toMatchObject({ UpdateQueued: 2, AgentTurnCompleted: 1, AgentToolCall: 3 });
    expect(metrics.AgentModelCall).toBeGreaterThanOrEqual(2);
  });

  it('answers a user once an admin has admitted them, and stops when removed', async () => {
    // Prepare
    const before = harness.replies(ADMIN_ID).length;
    await harness.say(ADMIN_ID, `/adduser ${USER_ID} Bob`);
    await harness.waitForReplies(ADMIN_ID, before + 1);

    // Act
    await harness.say(USER_ID, 'list my projects');

    // Assess
    const replies = await harness.waitForReplies(USER_ID, 1);
    expect(replies[0]?.text).toBe(NO_PROJECTS);
    expect(harness.replies(ADMIN_ID).at(-1)?.text).toBe(MESSAGES.userAdded(USER_ID));

    // Act: removal
    await harness.say(ADMIN_ID, `/removeuser ${USER_ID}`);
    await harness.waitForReplies(ADMIN_ID, before + 2);
    await harness.say(USER_ID, 'still there?');
    await harness.settle();

    // Assess: the refusal, not an answer
    const after = await harness.waitForReplies(USER_ID, 2);
    expect(after[1]?.text).toBe(MESSAGES.refusal);
  });

  it('refuses a stranger once and leaves no trace', async () => {
    // Prepare
    const statsBefore = harness.queueStats();

    // Act
    await harness.say(STRANGER_ID, 'let me in, here is my token 123456:SECRET');
    const replies = await harness.waitForReplies(STRANGER_ID, 1);
    await harness.settle();

    // Assess
    expect(replies.map((r) => r.text)).toEqual([MESSAGES.refusal]);
    expect(harness.queueStats()).toEqual(statsBefore);
    for (const table of TABLES) {
      const items = await harness.scan(table.name);
      expect(JSON.stringify(items), `table ${table.name}`).not.toContain(String(STRANGER_ID));
    }
  });

  it('ignores group chats entirely, even for an admin', async () => {
    // Prepare
    const groupId = -100_123;
    const statsBefore = harness.queueStats();

    // Act
    await harness.say(ADMIN_ID, 'hello group', { id: groupId, type: 'group' });
    await harness.say(STRANGER_ID, 'hello group', { id: groupId, type: 'supergroup' });
    await harness.settle();

    // Assess
    expect(harness.replies(groupId)).toEqual([]);
    expect(harness.queueStats()).toEqual(statsBefore);
  });

  it('answers an update delivered twice, sequentially or concurrently, once', async () => {
    // Prepare
    const chatId = ADMIN_ID;
    const before = harness.replies(chatId).length;
    const sequential = JSON.stringify(textUpdate(chatId, 'make me a twice bot'));
    const concurrent = JSON.stringify(textUpdate(chatId, 'make me a five bot'));

    // Act
    const first = await harness.postWebhook(sequential);
    const second = await harness.postWebhook(sequential);
    const parallel = await Promise.all(Array.from({ length: 5 }, () => harness.postWebhook(concurrent)));
    await harness.settle();

    // Assess: every delivery is acknowledged, but only two replies were sent
    expect([first.status, second.status, ...parallel.map((r) => r.status)]).toEqual(Array(7).fill(200));
    await harness.waitForReplies(chatId, before + 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(harness.replies(chatId)).toHaveLength(before + 2);
  });

  it.each([
    ['a wrong secret', { 'x-telegram-bot-api-secret-token': 'wrong-secret' }, 'ok', 401],
    ['no secret', {}, 'ok', 401],
    ['malformed JSON', 'auth', '{"update_id": 1, "message": ', 400],
    ['a body that is not an update', 'auth', '{"hello":"world"}', 400],
    ['an oversized body', 'auth', 'big', 400],
  ] as const)('rejects %s without touching state', async (_name, headers, body, status) => {
    // Prepare
    const dedupBefore = (await harness.scan('dedup')).length;
    const statsBefore = harness.queueStats();
    const payload =
      body === 'ok'
        ? JSON.stringify(textUpdate(ADMIN_ID, 'sneaky'))
        : body === 'big'
          ? JSON.stringify(textUpdate(ADMIN_ID, 'x'.repeat(70_000)))
          : body;

    // Act
    const response = await harness.postWebhook(payload, headers === 'auth' ? harness.authHeaders() : headers);

    // Assess
    expect(response.status).toBe(status);
    expect((await harness.scan('dedup')).length).toBe(dedupBefore);
    expect(harness.queueStats()).toEqual(statsBefore);
  });

  it('answers ten messages in one chat in the order they were sent', async () => {
    // Prepare
    const chatId = 3003;
    await harness.say(ADMIN_ID, `/adduser ${chatId}`);
    await harness.settle();

    // Act
    for (let i = 1; i <= 10; i++) await harness.say(chatId, `create project bot-number-${i}: bot ${i}`);

    // Assess: ten replies, and the ten projects were created in the order they were asked for
    await harness.waitForReplies(chatId, 10);
    const projects = await new ProjectRepository(harness.stack.runtime.store).listByOwner(chatId);
    const byCreation = [...projects].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    expect(byCreation.map((p) => p.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `bot-number-${i + 1}`),
    );
  });
});

describe('local stack restart', () => {
  it('keeps users, sessions and the chat across a restart between two messages', async () => {
    // Prepare
    const harness = await StackHarness.start();
    try {
      await harness.say(ADMIN_ID, `/adduser ${USER_ID}`);
      await harness.waitForReplies(ADMIN_ID, 1);
      await harness.say(USER_ID, 'create project alpha-bot: alpha');
      await harness.waitForReplies(USER_ID, 1);

      // Act
      await harness.restart();
      await harness.say(USER_ID, 'list my projects');

      // Assess: still admitted, the project and the chat history kept
      const replies = await harness.waitForReplies(USER_ID, 2);
      const results = resultsIn(await transcriptOf(harness.stack.runtime.store, USER_ID));
      expect(results.map((r) => r.kind)).toContain('project_created');
      const listed = results.find((r) => r.kind === 'projects_listed');
      expect(listed?.kind === 'projects_listed' && listed.projects.map((p) => p.name)).toEqual(['alpha-bot']);
      const ids = replies.map((r) => r.messageId);
      expect(new Set(ids).size).toBe(2);
    } finally {
      await harness.dispose();
    }
  });
});

describe('poison messages', () => {
  it('moves a message that always fails to the dead-letter queue without holding other chats back', async () => {
    // Prepare: short visibility so redelivery happens within the test
    const harness = await StackHarness.start({
      LOCAL_QUEUE_VISIBILITY_SECONDS: '1',
      LOCAL_QUEUE_MAX_RECEIVES: '2',
    });
    try {
      const queue = harness.stack.runtime.queue;
      const poisonChat = ADMIN_ID;
      const otherChat = 4004;
      await harness.say(ADMIN_ID, `/adduser ${otherChat}`);
      await harness.waitForReplies(ADMIN_ID, 1);

      // Act
      await queue.send({
        groupId: String(poisonChat),
        deduplicationId: 'poison-1',
        body: '{"not":"an update"',
      });
      await queue.send({
        groupId: String(poisonChat),
        deduplicationId: 'after-poison',
        body: JSON.stringify(textUpdate(poisonChat, 'list my projects')),
      });
      await harness.say(otherChat, 'list my projects');

      // Assess: the other chat is answered while the poison chat waits
      const other = await harness.waitForReplies(otherChat, 1);
      expect(other[0]?.text).toBe(NO_PROJECTS);
      // ... then the poison message is dead-lettered and the chat goes on in order
      const poisonChatReplies = await harness.waitForReplies(poisonChat, 2, 20_000);
      expect(poisonChatReplies[1]?.text).toBe(NO_PROJECTS);
      expect(harness.queueStats().deadLetters).toBe(1);
    } finally {
      await harness.dispose();
    }
  });
});
