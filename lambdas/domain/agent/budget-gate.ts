import { type BudgetStanding, budgetName, usd } from '../usage/budgets.ts';
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
  const lines = events.map((event) => {
    switch (event.kind) {
      case 'pipeline_event': {
        const e = event.event;
        const extra = [e.htmlUrl, e.url, e.error].filter(Boolean).join(', ');
        return `Run ${e.runName} of ${e.projectId}: ${e.kind.replaceAll('_', ' ')}${extra ? ` (${extra})` : ''}.`;
      }
      case 'reminder':
        return `Reminder: ${event.text}`;
      case 'secret_stored':
        return `Stored ${event.key} for ${event.projectId}.`;
      default:
        return `Update: ${event.kind.replaceAll('_', ' ')}.`;
    }
  });
  return [...lines, '(Sent as it is: the monthly budget is reached, so no model was asked.)'].join('\n');
}
