import { Budgets } from '../domain/usage/budgets.ts';
import type { UsageLedger } from '../domain/usage/usage-ledger.ts';
import type { Runtime } from '../runtime/runtime.ts';

/** The monthly budgets on the runtime's store, with the configured defaults. */
export function budgetsFor(runtime: Pick<Runtime, 'store' | 'config'>, usage: UsageLedger): Budgets {
  const { usage: settings } = runtime.config;
  return new Budgets(runtime.store, usage, {
    personMonthlyUsd: settings.monthlyBudgetUsdPerUser,
    projectMonthlyUsd: settings.monthlyBudgetUsdPerProject,
    raiseUsd: settings.budgetRaiseUsd,
  });
}
