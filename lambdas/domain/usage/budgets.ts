import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';
import type { UsageLedger } from './usage-ledger.ts';

/** Whose monthly budget: a person's (all their turns and runs) or a project's. */
export type BudgetScope = { kind: 'person'; userId: number } | { kind: 'project'; projectId: string };

/** The defaults from configuration, used until an admin sets a budget. */
export interface BudgetDefaults {
  personMonthlyUsd: number;
  projectMonthlyUsd: number;
  /** What one "raise for this run" allows on top of the budgets reached, in USD. */
  raiseUsd: number;
}

/** One budget against this month's spend, in micro-dollars (as the ledger counts). */
export interface BudgetStanding {
  scope: BudgetScope;
  spentMicros: number;
  limitMicros: number;
  /** Set by an admin (else the configured default). */
  custom: boolean;
}

export interface BudgetCheck {
  /** Spend reached a budget plus what was allowed on top for this turn or run. */
  over: boolean;
  /** The budget that was reached (the person's first), when over. */
  reached?: BudgetStanding;
  standings: BudgetStanding[];
  allowanceMicros: number;
}

const MICROS = 1_000_000;
// Grants are kept well past the month they were made in, for the record.
const ALLOWANCE_TTL_SECONDS = 62 * 24 * 3600;

export const toMicros = (usd: number) => Math.round(usd * MICROS);
export const usd = (micros: number) => `$${(micros / MICROS).toFixed(micros < 10_000 ? 4 : 2)}`;

/** The allowance key of one agent turn (a request in a chat) and of one pipeline run. */
export const turnAllowanceKey = (chatId: number, requestId: string) => `turn:${chatId}:${requestId}`;
export const runAllowanceKey = (runName: string) => `run:${runName}`;

const limitKey = (scope: BudgetScope) => ({
  pk: scope.kind === 'person' ? `BUDGET#PERSON#${scope.userId}` : `BUDGET#PROJECT#${scope.projectId}`,
  sk: 'LIMIT',
});

/**
 * Monthly budgets per person and per project, in dollars of model and engine usage as the usage
 * ledger counts them. Limits are set by admins (else the configured defaults). A turn or run that
 * reached one goes on only with a one-off allowance its owner granted, recorded here per grant.
 */
export class Budgets {
  constructor(
    private readonly store: KeyValueStore,
    private readonly ledger: UsageLedger,
    private readonly defaults: BudgetDefaults,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get raiseMicros(): number {
    return toMicros(this.defaults.raiseUsd);
  }

  async limitOf(scope: BudgetScope): Promise<{ limitMicros: number; custom: boolean }> {
    const item = await this.store.get('usage', limitKey(scope));
    if (item && typeof item.limitMicros === 'number') return { limitMicros: item.limitMicros, custom: true };
    const fallback =
      scope.kind === 'person' ? this.defaults.personMonthlyUsd : this.defaults.projectMonthlyUsd;
    return { limitMicros: toMicros(fallback), custom: false };
  }

  async setLimit(scope: BudgetScope, monthlyUsd: number, setBy: number): Promise<void> {
    await this.store.put('usage', {
      ...limitKey(scope),
      limitMicros: toMicros(monthlyUsd),
      setBy,
      setAt: this.now().toISOString(),
    });
  }

  async standing(scope: BudgetScope): Promise<BudgetStanding> {
    const [limit, totals] = await Promise.all([
      this.limitOf(scope),
      scope.kind === 'person'
        ? this.ledger.userTotals(scope.userId, 'month')
        : this.ledger.projectTotals(scope.projectId, 'month'),
    ]);
    return { scope, spentMicros: totals.costMicros, ...limit };
  }

  /** Would more spend go over? Yes once this month's spend reached a budget plus the allowance. */
  async check(input: { userId: number; projectId?: string; allowanceKey: string }): Promise<BudgetCheck> {
    const scopes: BudgetScope[] = [
      { kind: 'person', userId: input.userId },
      ...(input.projectId ? [{ kind: 'project' as const, projectId: input.projectId }] : []),
    ];
    const [standings, allowanceMicros] = await Promise.all([
      Promise.all(scopes.map((s) => this.standing(s))),
      this.allowance(input.allowanceKey),
    ]);
    const reached = standings.find((s) => s.spentMicros >= s.limitMicros + allowanceMicros);
    return { over: reached !== undefined, ...(reached ? { reached } : {}), standings, allowanceMicros };
  }

  /**
   * Records a one-off allowance of `raiseMicros` for one turn or run. Keyed by the grant's id (the
   * question's nonce): the same press delivered twice grants once.
   */
  async grantAllowance(allowanceKey: string, grantId: string, grantedBy: number): Promise<void> {
    try {
      await this.store.put(
        'usage',
        {
          pk: `ALLOWANCE#${allowanceKey}`,
          sk: `GRANT#${grantId}`,
          micros: this.raiseMicros,
          grantedBy,
          at: this.now().toISOString(),
          expiresAt: Math.floor(this.now().getTime() / 1000) + ALLOWANCE_TTL_SECONDS,
        },
        { ifAbsent: true },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** What was allowed on top of the budgets for this turn or run, all grants added up. */
  async allowance(allowanceKey: string): Promise<number> {
    let total = 0;
    let cursor: string | undefined;
    do {
      const page = await this.store.query('usage', `ALLOWANCE#${allowanceKey}`, {
        skBeginsWith: 'GRANT#',
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) total += Number(item.micros ?? 0);
      cursor = page.cursor;
    } while (cursor);
    return total;
  }
}

/** "your budget" / "the budget of project x", for messages. */
export function budgetName(scope: BudgetScope): string {
  return scope.kind === 'person' ? 'your monthly budget' : `the monthly budget of project ${scope.projectId}`;
}

/** One line per budget: spent of limit. */
export function formatStanding(standing: BudgetStanding): string {
  const who = standing.scope.kind === 'person' ? 'Your budget' : `Project ${standing.scope.projectId} budget`;
  const source = standing.custom ? '' : ' (default)';
  return `${who}: ${usd(standing.spentMicros)} of ${usd(standing.limitMicros)}${source} spent this month`;
}
