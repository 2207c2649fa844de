import { beforeEach, describe, expect, it } from 'vitest';
import { OfflineModel } from '../../../lambdas/adapters/llm/offline-model.ts';
import type { Principal } from '../../../lambdas/domain/access/access-policy.ts';
import { BUDGET_STOPPED } from '../../../lambdas/domain/agent/budget-gate.ts';
import type { ProductOwner } from '../../../lambdas/domain/agent/product-owner.ts';
import { Budgets, turnAllowanceKey } from '../../../lambdas/domain/usage/budgets.ts';
import { type AgentWorld, agentWorld, productOwnerIn } from '../../support/product-owner-world.ts';
import { RecordingChat, type SentMessage } from '../../support/recording-chat.ts';

const ALICE = 2002;
const BOB = 3003;
const alice: Principal = { userId: ALICE, role: 'user' };
const bob: Principal = { userId: BOB, role: 'user' };
// The offline model priced: a turn costs well under a cent, far under one raise ($5).
const PRICES = { 'offline-deterministic': { inputPerMTok: 1, outputPerMTok: 1 } };

let chat: RecordingChat;
let world: AgentWorld;
let budgets: Budgets;
let owner: ProductOwner;

beforeEach(() => {
  chat = new RecordingChat();
  world = agentWorld({ chat, prices: PRICES });
  // Alice's budget is $0: every turn of hers reaches it before its first model call.
  budgets = new Budgets(
    world.store,
    world.usage,
    { personMonthlyUsd: 0, projectMonthlyUsd: 100, raiseUsd: 5 },
    world.date,
  );
  const model = new OfflineModel();
  owner = productOwnerIn(world, { intent: model, agent: model }, { services: { budgets } });
});

const spent = async () => (await world.usage.userTotals(ALICE)).costMicros;
const buttonsOf = (message: SentMessage | undefined) => message?.buttons?.flat() ?? [];
const nonceOf = (message: SentMessage | undefined) =>
  /^cf:([0-9a-f]{16}):y$/.exec(buttonsOf(message)[0]?.data ?? '')?.[1] ?? '';

describe('ProductOwner: a turn that reaches a monthly budget', () => {
  it('asks before any model call, with Raise and Stop bound to the person; Stop ends it and nothing is spent', async () => {
    // Act
    await owner.handleMessage(alice, ALICE, 'r1', 'list my projects');
    const question = chat.sent.at(-1);
    const outcome = await owner.handleConfirmation(alice, ALICE, 'cb1', nonceOf(question), false);

    // Assess
    expect(question?.text).toMatch(/^Your monthly budget is reached: \$0\.0000 of \$0\.0000 spent/);
    expect(buttonsOf(question).map((b) => b.text)).toEqual(['Raise for this request', 'Stop']);
    expect(outcome).toBe('accepted');
    expect(chat.texts().at(-1)).toBe(BUDGET_STOPPED);
    expect(chat.edits.at(-1)?.text).toMatch(/Stopped\.$/);
    expect(await spent()).toBe(0);
    expect((await world.usage.userTotals(ALICE)).calls).toBe(0);
    expect(await budgets.allowance(turnAllowanceKey(ALICE, 'r1'))).toBe(0);

    // The next message is asked about again, still at no cost
    await owner.handleMessage(alice, ALICE, 'r2', 'list my projects');
    expect(chat.sent.at(-1)?.text).toMatch(/budget is reached/);
    expect((await world.usage.userTotals(ALICE)).calls).toBe(0);
  });

  it('Raise grants a one-off allowance for this request, which then goes on and answers', async () => {
    // Act
    await owner.handleMessage(alice, ALICE, 'r1', 'list my projects');
    const outcome = await owner.handleConfirmation(alice, ALICE, 'cb1', nonceOf(chat.sent.at(-1)), true);

    // Assess
    expect(outcome).toBe('accepted');
    expect(chat.texts().at(-1)).toMatch(/no projects yet/);
    expect(await budgets.allowance(turnAllowanceKey(ALICE, 'r1'))).toBe(5_000_000);
    expect(await spent()).toBeGreaterThan(0);

    // The allowance was for that request only: the next one asks again
    await owner.handleMessage(alice, ALICE, 'r2', 'list my projects');
    expect(chat.sent.at(-1)?.text).toMatch(/budget is reached/);
  });

  it('ignores a press by someone else, and a second press of the same question', async () => {
    // Prepare
    await owner.handleMessage(alice, ALICE, 'r1', 'list my projects');
    const nonce = nonceOf(chat.sent.at(-1));

    // Act
    const byBob = await owner.handleConfirmation(bob, ALICE, 'cb1', nonce, true);
    const first = await owner.handleConfirmation(alice, ALICE, 'cb2', nonce, false);
    const sentAfterFirst = chat.sent.length;
    const second = await owner.handleConfirmation(alice, ALICE, 'cb3', nonce, true);

    // Assess
    expect(byBob).toBe('not_yours');
    expect(first).toBe('accepted');
    expect(second).toBe('stale');
    expect(chat.sent.length).toBe(sentAfterFirst);
    expect(await budgets.allowance(turnAllowanceKey(ALICE, 'r1'))).toBe(0);
    expect(await spent()).toBe(0);
  });

  it('still tells the person a pipeline event, in plain words and without a model', async () => {
    // Act
    await owner.handleMessage(alice, ALICE, 'ev1', {
      events: [
        {
          kind: 'pipeline_event',
          event: {
            kind: 'failed',
            pipeline: 'engineering',
            runName: 'eng-x-1',
            projectId: 'x',
            ownerId: ALICE,
            chatId: ALICE,
            error: 'States.Timeout',
          },
        },
      ],
    });

    // Assess
    expect(chat.texts().at(-1)).toMatch(/^The build of x failed: States\.Timeout\.\n\(Sent as it is/);
    expect(chat.sent.at(-1)?.buttons).toBeUndefined();
    expect((await world.usage.userTotals(ALICE)).calls).toBe(0);
  });

  it('tells a deploy’s secret request with the secret’s name and what to do, without a model', async () => {
    // Act
    await owner.handleMessage(alice, ALICE, 'ev2', {
      events: [
        {
          kind: 'pipeline_event',
          event: {
            kind: 'secret_needed',
            pipeline: 'devops',
            runName: 'dep-x-1',
            projectId: 'x',
            ownerId: ALICE,
            chatId: ALICE,
            secretKey: 'WEATHER_API_KEY',
          },
        },
      ],
    });

    // Assess: the person can answer it, as they could with a model
    expect(chat.texts().at(-1)).toMatch(
      /^The deploy of x needs WEATHER_API_KEY\. Send me its value as your next message/,
    );
    expect((await world.usage.userTotals(ALICE)).calls).toBe(0);
  });
});

describe('set_budget and get_usage', () => {
  const admin: Principal = { userId: 1001, role: 'admin' };

  it('lets an admin set a person’s and a project’s budget, refuses a user, and shows spend against it', async () => {
    // Prepare: the admin's own budget is the default $0 too; they raise this request to go on
    await budgets.setLimit({ kind: 'person', userId: 1001 }, 10, 1001);
    await world.projects.create(alice, { name: 'weather-bot', description: 'weather' }, 'k1');

    // Act
    await owner.handleMessage(admin, 1001, 'a1', 'set budget for user 2002 to $3');
    await owner.handleMessage(admin, 1001, 'a2', 'set budget for project weather-bot to 7.5');
    await owner.handleMessage(alice, ALICE, 'u1', 'set budget for user 2002 to $300');
    await owner.handleConfirmation(alice, ALICE, 'cb', nonceOf(chat.sent.at(-1)), true);
    await owner.handleMessage(alice, ALICE, 'u2', 'usage');

    // Assess
    const admins = chat.sent.filter((m) => m.chatId === 1001).map((m) => m.text);
    expect(admins).toEqual([
      'The monthly budget of person 2002 is now $3.00.',
      'The monthly budget of project weather-bot is now $7.50.',
    ]);
    const texts = chat.sent.filter((m) => m.chatId === ALICE).map((m) => m.text);
    expect(texts.some((t) => /not available to you/.test(t))).toBe(true);
    expect(texts.at(-1)).toMatch(/\nYour budget: \$0\.\d{4} of \$3\.00 spent this month$/);
    expect((await budgets.limitOf({ kind: 'person', userId: ALICE })).limitMicros).toBe(3_000_000);
  });
});
