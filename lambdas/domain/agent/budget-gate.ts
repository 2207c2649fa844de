import { type BudgetStanding, budgetName, usd } from '../usage/budgets.ts';
import { reportEvent } from './plain-event-text.ts';
import type { SystemEvent } from './system-events.ts';

/** The `toolName` of the pending question a turn stopped at its budget asks (a confirmation). */
export const BUDGET_QUESTION = 'monthly_budget';

export const BUDGET_STOPPED =
  'Stopped: the monthly budget is reached, so I did not go on. An admin can raise it ("set budget ...").';

/** What the person is asked when a turn reaches a budget. */
export function budgetQuestion(reached: BudgetStanding, raiseMicros: number): string {
  const name = budgetName(reached.scope);
  return (
    `${name[0]?.toUpperCase()}${name.slice(1)} is reached: ${usd(reached.spentMicros)} of ` +
    `${usd(reached.limitMicros)} spent this month. Raise it by ${usd(raiseMicros)} for this request, or stop here?`
  );
}

/** News from the system told without a model (the budget is reached), in plain words. */
export function eventsWithoutBudget(events: SystemEvent[]): string {
  const lines = events.map(reportEvent);
  return [...lines, '(Sent as it is: the monthly budget is reached, so no model was asked.)'].join('\n');
}
