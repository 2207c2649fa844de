import type { ChatChannel } from '../../../ports/chat.ts';
import { type Budgets, budgetName, runAllowanceKey, usd } from '../../usage/budgets.ts';
import type { BudgetQuestions } from '../budget-questions.ts';
import type { RunRef } from './run-ref.ts';

/** How long a run waits for its owner at a budget: the state's TimeoutSeconds says the same. */
export const BUDGET_QUESTION_TTL_SECONDS = 86_400;

/** "Check the budget": is the owner's or the project's monthly budget (plus this run's raises) reached? */
export async function checkBudgetStep(
  deps: { budgets: Budgets },
  input: { run: RunRef },
): Promise<{ over: boolean; scope: 'person' | 'project' | null; spentMicros: number; limitMicros: number }> {
  const check = await deps.budgets.check({
    userId: input.run.ownerId,
    projectId: input.run.projectId,
    allowanceKey: runAllowanceKey(input.run.name),
  });
  const shown = check.reached ?? check.standings[0];
  return {
    over: check.over,
    scope: check.reached?.scope.kind ?? null,
    spentMicros: shown?.spentMicros ?? 0,
    limitMicros: (shown?.limitMicros ?? 0) + check.allowanceMicros,
  };
}

/**
 * "Wait for a budget decision": the owner gets "Raise for this run" and "Stop" buttons bound to
 * them; the run's task token waits behind a short id until one is pressed (or a day passes).
 */
export async function askBudgetStep(
  deps: { questions: BudgetQuestions; budgets: Budgets; chat: ChatChannel },
  input: { run: RunRef; taskToken: string; pipeline?: 'engineering' | 'devops' },
): Promise<{ questionId: string }> {
  const deploy = input.pipeline === 'devops';
  const check = await deps.budgets.check({
    userId: input.run.ownerId,
    projectId: input.run.projectId,
    allowanceKey: runAllowanceKey(input.run.name),
  });
  const reached = check.reached ?? check.standings[0];
  const question = await deps.questions.open({
    runName: input.run.name,
    projectId: input.run.projectId,
    ownerId: input.run.ownerId,
    ...(deploy ? { pipeline: 'devops' as const } : {}),
    taskToken: input.taskToken,
    ttlSeconds: BUDGET_QUESTION_TTL_SECONDS,
  });
  const name = reached ? budgetName(reached.scope) : 'the monthly budget';
  const spent = reached
    ? ` (${usd(reached.spentMicros)} of ${usd(reached.limitMicros + check.allowanceMicros)} this month)`
    : '';
  await deps.chat.send(
    input.run.chatId,
    deploy
      ? `The deploy of ${input.run.projectId} reached ${name}${spent} and is paused before it changes anything. ` +
          `Raise it by ${usd(deps.budgets.raiseMicros)} for this run, or stop the deploy?`
      : `The build of ${input.run.projectId} reached ${name}${spent} and is paused before its next step. ` +
          `Raise it by ${usd(deps.budgets.raiseMicros)} for this run, or stop the build?`,
    [
      [
        { text: 'Raise for this run', data: `bud:${question.id}:r` },
        { text: 'Stop', data: `bud:${question.id}:s` },
      ],
    ],
  );
  return { questionId: question.id };
}
