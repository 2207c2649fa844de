import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../../../lambdas/domain/access/access-policy.ts';
import type { BotIdentityLookup } from '../../../lambdas/domain/chat-secrets/bot-token-verifier.ts';
import { type IntakeDeps, takeSecrets } from '../../../lambdas/domain/chat-secrets/secret-intake.ts';
import type { Project } from '../../../lambdas/domain/projects/project.ts';
import { type AgentWorld, agentWorld, intakeIn } from '../../support/product-owner-world.ts';
import { RecordingChat } from '../../support/recording-chat.ts';

const ALICE = 2002;
const alice: Principal = { userId: ALICE, role: 'user' };
const MESSAGE_ID = 77;

const TELEGRAM = `7123456789:AAH${'dqTcvCH1vGWJxfSeofSAs0K5PALDsaw'}`;
const OPENAI = `sk-${'A1b2C3d4'.repeat(3)}`;
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const GITHUB = `ghp_${'a1B2'.repeat(9)}`;

let chat: RecordingChat;
let world: AgentWorld;
let getMe: ReturnType<typeof vi.fn<BotIdentityLookup['getMe']>>;
let deps: IntakeDeps;
let project: Project;

beforeEach(async () => {
  chat = new RecordingChat();
  world = agentWorld({ chat });
  getMe = vi.fn<BotIdentityLookup['getMe']>(async () => ({ username: 'weather_bot' }));
  deps = intakeIn(world, { getMe });
  project = await world.projects.create(alice, { name: 'weather-bot', description: 'a weather bot' }, 'seed');
});

/** The agent asked for the value of `key` (set_project_secret without a value). */
async function awaitSecret(key: string, ttl = 900): Promise<void> {
  const held = await world.leases.acquire(ALICE, 'agent');
  await world.leases.release(held, {
    awaitedSecret: { projectId: project.id, key, expiresAt: world.clock.now() + ttl },
  });
}

const take = (text: string) => takeSecrets(deps, alice, ALICE, MESSAGE_ID, text);

/** Every secret value held by the secrets port, by name. */
async function storedSecrets(): Promise<Record<string, string>> {
  const entries = await Promise.all(
    world.secrets.names().map(async (name) => [name, await world.secrets.get(name)] as const),
  );
  return Object.fromEntries(entries);
}

function expectNoLeak(value: string, returned: unknown): void {
  expect(JSON.stringify(returned)).not.toContain(value);
  for (const text of chat.texts()) expect(text).not.toContain(value);
}

describe('takeSecrets: plain messages', () => {
  it('hands on a message without secrets unchanged and touches nothing', async () => {
    // Act
    const result = await take('make me a weather bot');

    // Assess
    expect(result).toEqual({ kind: 'plain', text: 'make me a weather bot' });
    expect([chat.deletes, chat.sent, world.secrets.names()]).toEqual([[], [], []]);
    expect(getMe).not.toHaveBeenCalled();
  });
});

describe('takeSecrets: a value the agent asked for', () => {
  it('stores the value under the project, deletes the message and hands on only a typed event', async () => {
    // Prepare
    await awaitSecret('WEATHER_API_KEY');

    // Act
    const result = await take('  my-weather-key-123  ');

    // Assess
    expect(result).toEqual({
      kind: 'secret_stored',
      events: [{ kind: 'secret_stored', key: 'WEATHER_API_KEY', projectId: project.id }],
    });
    expect(await storedSecrets()).toEqual({
      [`projects/${project.id}/WEATHER_API_KEY`]: 'my-weather-key-123',
    });
    expect(chat.deletes).toEqual([{ chatId: ALICE, messageId: MESSAGE_ID }]);
    expectNoLeak('my-weather-key-123', result);
  });

  it('checks a bot token with getMe before storing it', async () => {
    // Prepare
    await awaitSecret('TELEGRAM_BOT_TOKEN');

    // Act
    const result = await take(TELEGRAM);

    // Assess
    expect(getMe).toHaveBeenCalledWith(TELEGRAM);
    expect(result.kind).toBe('secret_stored');
    expect(await storedSecrets()).toEqual({ [`projects/${project.id}/TELEGRAM_BOT_TOKEN`]: TELEGRAM });
    expectNoLeak(TELEGRAM, result);
  });

  it.each([
    {
      case: 'a badly formed token',
      text: 'not-a-token-at-all',
      fails: false,
      reason: 'does not look like a Telegram bot token',
    },
    { case: 'a token Telegram refuses', text: TELEGRAM, fails: true, reason: 'getMe failed' },
  ])('refuses $case, stores nothing and still deletes the message', async ({ text, fails, reason }) => {
    // Prepare
    await awaitSecret('TELEGRAM_BOT_TOKEN');
    if (fails) getMe.mockRejectedValueOnce(new Error('401 Unauthorized'));

    // Act
    const result = await take(text);

    // Assess
    expect(result).toEqual({ kind: 'handled' });
    expect(world.secrets.names()).toEqual([]);
    expect(getMe).toHaveBeenCalledTimes(fails ? 1 : 0);
    expect(chat.deletes).toEqual([{ chatId: ALICE, messageId: MESSAGE_ID }]);
    expect(chat.texts()).toEqual([expect.stringContaining(reason)]);
    expectNoLeak(text, result);
  });

  it.each(['/help', '/usage', '  /start'])(
    'does not swallow the command %j while waiting',
    async (command) => {
      // Prepare
      await awaitSecret('WEATHER_API_KEY');

      // Act
      const result = await take(command);

      // Assess
      expect(result).toEqual({ kind: 'plain', text: command });
      expect([chat.deletes, world.secrets.names()]).toEqual([[], []]);
    },
  );

  it('treats text as ordinary once the wait has expired', async () => {
    // Prepare
    await awaitSecret('WEATHER_API_KEY', 60);
    world.clock.advance(61);

    // Act
    const result = await take('list my projects');

    // Assess
    expect(result).toEqual({ kind: 'plain', text: 'list my projects' });
    expect(world.secrets.names()).toEqual([]);
  });

  it('lets the person skip after a refused token, as the refusal says', async () => {
    // Prepare
    await awaitSecret('TELEGRAM_BOT_TOKEN');
    await take('oops wrong paste');
    chat.deletes.length = 0;

    // Act: "Send the token again, or anything else to skip."
    const result = await take('skip, list my projects instead');

    // Assess
    expect(result).toEqual({ kind: 'plain', text: 'skip, list my projects instead' });
    expect(chat.deletes).toEqual([]);
  });
});

describe('takeSecrets: secrets pasted into a message', () => {
  it.each([
    { kind: 'OPENAI_API_KEY', value: OPENAI },
    { kind: 'AWS_ACCESS_KEY_ID', value: AWS_KEY },
    { kind: 'GITHUB_TOKEN', value: GITHUB },
    { kind: 'TELEGRAM_BOT_TOKEN', value: TELEGRAM },
  ])('stashes a pasted $kind and hands on a reference instead', async ({ kind, value }) => {
    // Act
    const result = await take(`use ${value} for weather-bot`);

    // Assess
    const event = result.kind === 'redacted' ? result.events[0] : undefined;
    const ref = event?.kind === 'secrets_withheld' ? event.secrets[0]?.ref : undefined;
    expect(result).toEqual({
      kind: 'redacted',
      text: `use [secret:${ref} ${kind}] for weather-bot`,
      events: [
        { kind: 'secrets_withheld', secrets: [{ ref: expect.stringMatching(/^[0-9a-f]{12}$/), kind }] },
      ],
    });
    expect(await storedSecrets()).toEqual({ [`chat-secrets/${ALICE}/${ref}`]: value });
    expect(chat.deletes).toEqual([{ chatId: ALICE, messageId: MESSAGE_ID }]);
    expect(chat.texts()).toEqual([
      'I removed your message because it contained a secret; it is stored encrypted.',
    ]);
    expectNoLeak(value, result);
  });

  it('stashes several secrets under different references', async () => {
    // Act
    const result = await take(`openai ${OPENAI} and aws ${AWS_KEY}`);

    // Assess
    const text = result.kind === 'redacted' ? result.text : '';
    const refs = [...text.matchAll(/\[secret:([0-9a-f]{12}) (\w+)\]/g)].map((m) => [m[1], m[2]]);
    expect(refs.map(([, kind]) => kind)).toEqual(['OPENAI_API_KEY', 'AWS_ACCESS_KEY_ID']);
    expect(new Set(refs.map(([ref]) => ref)).size).toBe(2);
    expect(Object.values(await storedSecrets()).sort()).toEqual([AWS_KEY, OPENAI].sort());
    expectNoLeak(OPENAI, result);
    expectNoLeak(AWS_KEY, result);
  });

  it('refuses a pasted bot token Telegram does not know, storing nothing', async () => {
    // Prepare
    getMe.mockRejectedValueOnce(new Error('401 Unauthorized'));

    // Act
    const result = await take(`my bot token is ${TELEGRAM}`);

    // Assess
    expect(result).toEqual({ kind: 'handled' });
    expect(world.secrets.names()).toEqual([]);
    expect(chat.deletes).toHaveLength(1);
    expect(chat.texts()).toEqual([expect.stringContaining('did not store the token')]);
    expectNoLeak(TELEGRAM, result);
  });
});

describe('takeSecrets: moving on while a value is awaited', () => {
  it.each([
    ['a sentence', 'actually, list my projects'],
    ['a command', '/help'],
  ])('hands on %s unchanged and stores nothing', async (_case, text) => {
    // Prepare
    await awaitSecret('WEATHER_API_KEY');

    // Act
    const result = await take(text);

    // Assess
    expect(result).toEqual({ kind: 'plain', text });
    expect(world.secrets.names()).toEqual([]);
    expect(chat.deletes).toEqual([]);
  });
});
