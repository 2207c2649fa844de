import type { KeyValueStore } from '../../ports/key-value-store.ts';
import type { TokenUsage } from '../../ports/language-model.ts';
import { estimateCostMicros, type PriceTable } from './price-table.ts';

export interface UsageRecord {
  userId: number;
  projectId?: string;
  modelId: string;
  usage: TokenUsage;
}

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costMicros: number;
  unpricedCalls: number;
}

/**
 * Tokens and estimated cost of every model call, added up per user, per project and overall,
 * by month and all time, with atomic counters (one UpdateItem ADD per bucket).
 */
export class UsageLedger {
  constructor(
    private readonly store: KeyValueStore,
    private readonly prices: PriceTable,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(record: UsageRecord): Promise<void> {
    const { micros, priced } = estimateCostMicros(this.prices, record.modelId, record.usage);
    const deltas = {
      calls: 1,
      inputTokens: record.usage.inputTokens,
      outputTokens: record.usage.outputTokens,
      cacheReadTokens: record.usage.cacheReadTokens,
      cacheWriteTokens: record.usage.cacheWriteTokens,
      costMicros: micros,
      unpricedCalls: priced ? 0 : 1,
    };
    const month = this.month();
    const owners = [
      `USER#${record.userId}`,
      'TOTAL',
      ...(record.projectId ? [`PROJECT#${record.projectId}`] : []),
    ];
    await Promise.all(
      owners.flatMap((pk) => [
        this.store.increment('usage', { pk, sk: `MONTH#${month}` }, deltas),
        this.store.increment('usage', { pk, sk: 'ALL' }, deltas),
      ]),
    );
  }

  userTotals(userId: number, period: 'month' | 'all' = 'month'): Promise<UsageTotals> {
    return this.totals(`USER#${userId}`, period);
  }

  overallTotals(period: 'month' | 'all' = 'month'): Promise<UsageTotals> {
    return this.totals('TOTAL', period);
  }

  projectTotals(projectId: string, period: 'month' | 'all' = 'month'): Promise<UsageTotals> {
    return this.totals(`PROJECT#${projectId}`, period);
  }

  private async totals(pk: string, period: 'month' | 'all'): Promise<UsageTotals> {
    const item = await this.store.get('usage', {
      pk,
      sk: period === 'all' ? 'ALL' : `MONTH#${this.month()}`,
    });
    const n = (name: string) => Number(item?.[name] ?? 0);
    return {
      calls: n('calls'),
      inputTokens: n('inputTokens'),
      outputTokens: n('outputTokens'),
      cacheReadTokens: n('cacheReadTokens'),
      cacheWriteTokens: n('cacheWriteTokens'),
      costMicros: n('costMicros'),
      unpricedCalls: n('unpricedCalls'),
    };
  }

  private month(): string {
    return this.now().toISOString().slice(0, 7);
  }
}

export function formatUsage(label: string, totals: UsageTotals): string {
  const dollars = (totals.costMicros / 1_000_000).toFixed(4);
  const unpriced = totals.unpricedCalls > 0 ? ` (${totals.unpricedCalls} calls of unpriced models)` : '';
  return (
    `${label}: ${totals.calls} model calls, ${totals.inputTokens} input + ${totals.outputTokens} output tokens` +
    `${totals.cacheReadTokens ? `, ${totals.cacheReadTokens} cached` : ''}, about $${dollars}${unpriced}`
  );
}
