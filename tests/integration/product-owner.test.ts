import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MESSAGES } from '../../lambdas/bot/messages.ts';
import { ConversationLeases } from '../../lambdas/domain/conversations/conversation-lease.ts';
import { ProjectRepository } from '../../lambdas/domain/projects/project-repository.ts';
import { ADMIN_ID, type StackHarness as Harness, StackHarness } from '../support/local-stack-harness.ts';

const ALICE = 2101;
const BOB = 2102;

/** The stack, an admin who admitted Alice and Bob, and fast redelivery for crash tests. */
async function startWithUsers(env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const harness = await StackHarness.start({
    LOCAL_QUEUE_VISIBILITY_SECONDS: '1',
    CONVERSATION_LEASE_SECONDS: '2',
    ...env,
  });
  await harness.say(ADMIN_ID, `/adduser ${ALICE} Alice`);
  await harness.say(ADMIN_ID, `/adduser ${BOB} Bob`);
  await harness.waitForReplies(ADMIN_ID, 2);
  return harness;
}

const texts = (harness: Harness, chatId: number) => harness.replies(chatId).map((r) => r.text);

describe('Product Owner on the local stack (offline model)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  it('creates a project from a description in a conversation', async () => {
    // Prepare
    harness = await startWithUsers();

    // Act
    await harness.say(ALICE, 'make me a weather bot with daily notifications');
    const [created] = await harness.waitForReplies(ALICE, 1);
    await harness.say(ALICE, 'list my projects');
    const replies = await harness.waitForReplies(ALICE, 2);

    // Assess: the reply names the project, and the store holds it, owned by Alice
    expect(created?.text).toMatch(/^Created project weather-bot \(id weather-bot-[0-9a-f]{6}\)/);
    expect(replies[1]?.text).toContain('weather-bot');
    const projects = await new ProjectRepository(harness.stack.runtime.store).listByOwner(ALICE);
    expect(projects.map((p) => [p.name, p.ownerId, p.description])).toEqual([
      ['weather-bot', ALICE, 'make me a weather bot with daily notifications'],
    ]);
  });

  it('keeps the conversation across a restart between two messages', async () => {
    // Prepare
    harness = await startWithUsers();
    await harness.say(ALICE, 'make me a todo bot');
    await harness.waitForReplies(ALICE, 1);

    // Act: restart, then refer to the project only as "it"
    await harness.restart();
    await harness.say(ALICE, 'what is the status of it');

    // Assess: the agent still knows which project "it" is
    const replies = await harness.waitForReplies(ALICE, 2);
    expect(replies[1]?.text).toMatch(/^todo-bot \(id todo-bot-[0-9a-f]{6}\) is draft/);
  });

  it.each(['after-tool-started', 'after-tool-executed', 'after-tool-recorded', 'after-model-call'] as const)(
    'resumes after a crash %s and a restart without running the tool call again',
    async (point) => {
      // Prepare: the worker crashes at this point (of the create_project call, for tool points)
      const fault = point === 'after-model-call' ? point : `${point}:create_project`;
      harness = await startWithUsers({ FAULT_INJECTION: fault, LOCAL_QUEUE_VISIBILITY_SECONDS: '3' });

      // Act: the message fails; the stack is stopped and started again (without the fault) on the
      // same data; the queue redelivers the message, the crashed run's lease has run out, and the
      // new run resumes from the checkpoint and the tool journal
      await harness.say(ALICE, 'make me a recipe bot');
      await harness.stack.drainDeliveries();
      await new Promise((r) => setTimeout(r, 1_000));
      const before = harness.replies(ALICE).length;
      await harness.restart({ FAULT_INJECTION: undefined });
      const replies = await harness.waitForReplies(ALICE, 1, 20_000);
      await harness.settle();

      // Assess: nothing answered before the restart; afterwards one project and one reply
      expect(before).toBe(0);
      const projects = await new ProjectRepository(harness.stack.runtime.store).listAll();
      expect(projects.filter((p) => p.ownerId === ALICE).map((p) => p.name)).toEqual(['recipe-bot']);
      expect(replies.map((r) => r.text)).toEqual([expect.stringMatching(/^Created project recipe-bot/)]);
      expect(harness.queueStats().deadLetters).toBe(0);
    },
  );

  it("never shows or touches another user's project, whatever the model asks", async () => {
    // Prepare: Alice owns a project
    harness = await startWithUsers();
    await harness.say(ALICE, 'make me a diary bot');
    const [created] = await harness.waitForReplies(ALICE, 1);
    const aliceProjectId = /\(id ([^)]+)\)/.exec(created?.text ?? '')?.[1] ?? '';
    expect(aliceProjectId).not.toBe('');

    // Act: Bob names it by id; the model dutifully calls the tools with it
    await harness.say(BOB, `what is the status of ${aliceProjectId}`);
    await harness.say(BOB, `deploy ${aliceProjectId}`);
    await harness.say(BOB, 'list my projects');
    const bobReplies = await harness.waitForReplies(BOB, 3);

    // Assess: not found, no confirmation asked, nothing listed; Alice's project unchanged
    expect(bobReplies[0]?.text).toContain('not found');
    expect(bobReplies[1]?.text).toContain('not found');
    expect(bobReplies[2]?.text).not.toContain(aliceProjectId);
    expect(bobReplies.map((r) => r.text).join('\n')).not.toContain('diary bot');
    const project = await new ProjectRepository(harness.stack.runtime.store).get(aliceProjectId);
    expect(project?.ownerId).toBe(ALICE);
    // ... while an admin does see it
    await harness.say(ADMIN_ID, 'list all projects');
    const adminReplies = await harness.waitForReplies(ADMIN_ID, 3);
    expect(adminReplies[2]?.text).toContain(aliceProjectId);
  });

  it('asks before deploying and does nothing when the person cancels', async () => {
    // Prepare
    harness = await startWithUsers();
    await harness.say(ALICE, 'make me a shop bot');
    await harness.waitForReplies(ALICE, 1);

    // Act
    await harness.say(ALICE, 'deploy it');
    const [, question] = await harness.waitForReplies(ALICE, 2);
    const buttons = harness.buttons(ALICE);
    await harness.press(ALICE, buttons.find((b) => b.text === 'Cancel')?.data ?? '');
    const replies = await harness.waitForReplies(ALICE, 3);

    // Assess
    expect(question?.text).toBe('Deploy shop-bot to its server now?');
    expect(replies[2]?.text).toBe('OK, I did not do it.');
  });

  it('rejects a forged or stale button press, and one pressed by someone else', async () => {
    // Prepare
    harness = await startWithUsers();
    await harness.say(ALICE, 'make me a quiz bot');
    await harness.waitForReplies(ALICE, 1);
    await harness.say(ALICE, 'deploy it');
    await harness.waitForReplies(ALICE, 2);
    const confirm = harness.buttons(ALICE).find((b) => b.text === 'Confirm')?.data ?? '';

    // Act
    await harness.press(ALICE, 'cf:0000000000000000:y');
    await harness.press(ALICE, 'garbage');
    await harness.press(BOB, confirm, ALICE);
    await harness.settle();

    // Assess: nothing ran, each press was explained; then the real press works once
    expect(texts(harness, ALICE).slice(2)).toEqual([MESSAGES.buttonStale, MESSAGES.buttonNotYours]);
    await harness.press(ALICE, confirm);
    await harness.waitForReplies(ALICE, 5);
    await harness.press(ALICE, confirm);
    await harness.settle();
    expect(texts(harness, ALICE)[4]).toContain('devops pipeline is not part of this installation yet');
    expect(texts(harness, ALICE).slice(5)).toEqual([MESSAGES.buttonStale]);
  });

  it('stores a bot token sent in chat and leaves it nowhere else', async () => {
    // Prepare: capture everything the stack logs
    const token = '987654321:AAFq3xZbS2mK8rT5vW7yB9nD1cE4gH6jL0p';
    const logged: string[] = [];
    const capture = (chunk: unknown) => {
      logged.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const level = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    try {
      harness = await startWithUsers();
      await harness.say(ALICE, 'make me a reminder bot');
      await harness.waitForReplies(ALICE, 1);

      // Act
      await harness.say(ALICE, `here is the bot token: ${token}`);
      const replies = await harness.waitForReplies(ALICE, 3);
      await harness.settle();
      const secretName = `projects/${/\(id ([^)]+)\)/.exec(replies[0]?.text ?? '')?.[1]}/TELEGRAM_BOT_TOKEN`;
      const stored = await harness.stack.runtime.secrets.get(secretName);
      const userMessagesLeft = JSON.stringify(harness.stack.emulator.server.storage.userMessages);
      await harness.stack.stop();

      // Assess: stored under the project, the message deleted, and the value found nowhere
      expect(stored).toBe(token);
      expect(replies[2]?.text).toContain('Stored TELEGRAM_BOT_TOKEN for reminder-bot');
      expect(userMessagesLeft).not.toContain(token);
      expect(logged.join('')).not.toContain(token);
      expect(logged.join('').length).toBeGreaterThan(0);
      for (const file of await filesUnder(harness.dataDir)) {
        const content = await readFile(file);
        expect(content.includes(Buffer.from(token)), file).toBe(false);
        expect(content.includes(Buffer.from(token.split(':')[1] ?? '')), file).toBe(false);
      }
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      process.env.POWERTOOLS_LOG_LEVEL = level;
    }
  });

  it('keeps a message that arrives while the agent is busy and answers it after, in order', async () => {
    // Prepare: another worker holds Alice's conversation
    harness = await startWithUsers({ CONVERSATION_LEASE_SECONDS: '3' });
    const leases = new ConversationLeases(harness.stack.runtime.store, 3);
    const held = await leases.acquire(ALICE, 'another-worker');

    // Act: two messages arrive while it is busy
    await harness.say(ALICE, 'make me a news bot');
    await harness.say(ALICE, 'list my projects');
    await new Promise((r) => setTimeout(r, 2_000));
    const whileBusy = harness.replies(ALICE).length;
    await leases.release(held);

    // Assess: nothing was answered while busy; afterwards both, in order
    const replies = await harness.waitForReplies(ALICE, 2, 20_000);
    expect(whileBusy).toBe(0);
    expect(replies[0]?.text).toMatch(/^Created project news-bot/);
    expect(replies[1]?.text).toContain('news-bot');
    expect(harness.queueStats().deadLetters).toBe(0);
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
