import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../../lambdas/domain/access/access-policy.ts';
import {
  BudgetQuestions,
  RunBudgetDecisions,
} from '../../../../lambdas/domain/pipelines/budget-questions.ts';
import { askBudgetStep, checkBudgetStep } from '../../../../lambdas/domain/pipelines/steps/budget-gate.ts';
import { Budgets, runAllowanceKey } from '../../../../lambdas/domain/usage/budgets.ts';
import { UsageLedger } from '../../../../lambdas/domain/usage/usage-ledger.ts';
import { type Pipelines, TaskTokenError } from '../../../../lambdas/ports/pipelines.ts';
import { ManualClock, MemoryStore } from '../../../support/memory-store.ts';
import { RecordingChat } from '../../../support/recording-chat.ts';

const OWNER = 2002;
const run = { name: 'eng-x-1', projectId: 'x', ownerId: OWNER, chatId: OWNER };
const owner: Principal = { userId: OWNER, role: 'user' };
const stranger: Principal = { userId: 3003, role: 'user' };

function world() {
  const clock = new ManualClock();
  const store = new MemoryStore({ now: clock.now });
  const date = () => new Date(clock.now() * 1000);
  const ledger = new UsageLedger(store, { engine: { inputPerMTok: 1, outputPerMTok: 0 } }, date);
  const budgets = new Budgets(
    store,
    ledger,
    { personMonthlyUsd: 0.001, projectMonthlyUsd: 1, raiseUsd: 0.002 },
    date,
  );
  const questions = new BudgetQuestions(store, clock.now);
  const answers: Array<{ token: string; output: unknown }> = [];
  const used = new Set<string>();
  const pipelines = {
    sendTaskSuccess: async (token: string, output: unknown) => {
      if (used.has(token)) throw new TaskTokenError('invalid');
      used.add(token);
      answers.push({ token, output });
    },
  } as unknown as Pipelines;
  const chat = new RecordingChat();
  const spend = (tokens: number) =>
    ledger.record({
      userId: OWNER,
      projectId: 'x',
      modelId: 'engine',
      usage: { inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  const decisions = new RunBudgetDecisions({ questions, budgets, pipelines });
  return { budgets, questions, chat, answers, spend, decisions };
}

describe('the engineering budget gate', () => {
  it('"Check the budget" says over once the owner reached theirs, with the numbers', async () => {
    const w = world();
    expect(await checkBudgetStep(w, { run })).toMatchObject({ over: false, scope: null });
    await w.spend(1000);
    expect(await checkBudgetStep(w, { run })).toEqual({
      over: true,
      scope: 'person',
      spentMicros: 1000,
      limitMicros: 1000,
    });
  });

  it('"Wait for a budget decision" sends Raise and Stop buttons under one short id, the same when invoked again', async () => {
    // Prepare
    const w = world();
    await w.spend(1000);

    // Act
    const first = await askBudgetStep(w, { run, taskToken: 'token-1' });
    const again = await askBudgetStep(w, { run, taskToken: 'token-1' });

    // Assess
    expect(again.questionId).toBe(first.questionId);
    const message = w.chat.sent[0];
    expect(message?.text).toMatch(
      /^The build of x reached your monthly budget \(\$0\.0010 of \$0\.0010 this month\)/,
    );
    expect(message?.buttons?.flat()).toEqual([
      { text: 'Raise for this run', data: `bud:${first.questionId}:r` },
      { text: 'Stop', data: `bud:${first.questionId}:s` },
    ]);
  });

  it('Raise records a one-off allowance for the run and lets it go on; the gate then passes', async () => {
    // Prepare
    const w = world();
    await w.spend(1000);
    const { questionId } = await askBudgetStep(w, { run, taskToken: 'token-1' });

    // Act
    const outcome = await w.decisions.decide(owner, questionId, 'raise');

    // Assess
    expect(outcome).toBe('accepted');
    expect(w.answers).toEqual([{ token: 'token-1', output: { decision: 'raise' } }]);
    expect(await w.budgets.allowance(runAllowanceKey(run.name))).toBe(2000);
    expect((await checkBudgetStep(w, { run })).over).toBe(false);
  });

  it('ignores a press by someone else and a second press; Stop sends stop and grants nothing', async () => {
    // Prepare
    const w = world();
    await w.spend(1000);
    const { questionId } = await askBudgetStep(w, { run, taskToken: 'token-1' });

    // Act
    const byStranger = await w.decisions.decide(stranger, questionId, 'raise');
    const stop = await w.decisions.decide(owner, questionId, 'stop');
    const twice = await w.decisions.decide(owner, questionId, 'raise');
    const unknown = await w.decisions.decide(owner, '0123456789abcdef', 'raise');

    // Assess
    expect([byStranger, stop, twice, unknown]).toEqual(['not_yours', 'accepted', 'stale', 'stale']);
    expect(w.answers).toEqual([{ token: 'token-1', output: { decision: 'stop' } }]);
    expect(await w.budgets.allowance(runAllowanceKey(run.name))).toBe(0);
  });
});
