import { beforeEach, describe, expect, it } from 'vitest';
import { estimateCostMicros, type PriceTable } from '../../../lambdas/domain/usage/price-table.ts';
import { formatUsage, UsageLedger, type UsageTotals } from '../../../lambdas/domain/usage/usage-ledger.ts';
import type { TokenUsage } from '../../../lambdas/ports/language-model.ts';
import { MemoryStore } from '../../support/memory-store.ts';

const PRICES: PriceTable = {
  sonnet: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
  nova: { inputPerMTok: 0.06, outputPerMTok: 0.24 },
  free: { inputPerMTok: 0, outputPerMTok: 0 },
};

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0): TokenUsage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
});

const ZERO: UsageTotals = {
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costMicros: 0,
  unpricedCalls: 0,
};

describe('estimateCostMicros', () => {
  it.each([
    { case: 'input and output', model: 'sonnet', tokens: usage(1000, 500), micros: 3000 + 7500 },
    {
      case: 'cache reads and writes at their own prices',
      model: 'sonnet',
      tokens: usage(1000, 500, 2000, 400),
      micros: 3000 + 7500 + 600 + 1500,
    },
    {
      case: 'cache tokens at the input price when none is set',
      model: 'nova',
      tokens: usage(1000, 1000, 1000, 1000),
      micros: 60 + 240 + 60 + 60,
    },
    { case: 'a million output tokens', model: 'sonnet', tokens: usage(0, 1_000_000), micros: 15_000_000 },
    { case: 'a free model', model: 'free', tokens: usage(5000, 5000), micros: 0 },
    { case: 'fractions rounded to whole micro-dollars', model: 'nova', tokens: usage(7, 3), micros: 1 },
  ])('prices $case', ({ model, tokens, micros }) => {
    // Act
    const cost = estimateCostMicros(PRICES, model, tokens);

    // Assess
    expect(cost).toEqual({ micros, priced: true });
  });

  it('costs an unknown model nothing and says it is unpriced', () => {
    // Act
    const cost = estimateCostMicros(PRICES, 'mystery-model', usage(1000, 1000));

    // Assess
    expect(cost).toEqual({ micros: 0, priced: false });
  });
});

describe('UsageLedger', () => {
  let now: Date;
  let ledger: UsageLedger;

  beforeEach(() => {
    now = new Date('2026-03-31T23:59:00.000Z');
    ledger = new UsageLedger(new MemoryStore(), PRICES, () => now);
  });

  it('adds up calls per user, per project and in total', async () => {
    // Act
    await ledger.record({ userId: 1, modelId: 'sonnet', usage: usage(1000, 500, 2000, 400) });
    await ledger.record({ userId: 1, projectId: 'p-1', modelId: 'sonnet', usage: usage(1000, 500) });
    await ledger.record({ userId: 2, projectId: 'p-2', modelId: 'nova', usage: usage(1000, 1000) });

    // Assess
    expect(await ledger.userTotals(1)).toEqual({
      calls: 2,
      inputTokens: 2000,
      outputTokens: 1000,
      cacheReadTokens: 2000,
      cacheWriteTokens: 400,
      costMicros: 12_600 + 10_500,
      unpricedCalls: 0,
    });
    expect(await ledger.projectTotals('p-1')).toMatchObject({
      calls: 1,
      inputTokens: 1000,
      costMicros: 10_500,
    });
    expect(await ledger.projectTotals('p-2')).toMatchObject({ calls: 1, costMicros: 300 });
    expect(await ledger.userTotals(2)).toMatchObject({ calls: 1, costMicros: 300 });
    expect(await ledger.overallTotals()).toMatchObject({
      calls: 3,
      inputTokens: 3000,
      costMicros: 12_600 + 10_500 + 300,
    });
  });

  it('counts calls of unpriced models without guessing a cost', async () => {
    // Act
    await ledger.record({ userId: 1, modelId: 'mystery-model', usage: usage(100, 100) });
    await ledger.record({ userId: 1, modelId: 'free', usage: usage(100, 100) });

    // Assess
    expect(await ledger.userTotals(1)).toMatchObject({
      calls: 2,
      inputTokens: 200,
      costMicros: 0,
      unpricedCalls: 1,
    });
  });

  it('starts a new month while the all-time totals go on', async () => {
    // Prepare
    await ledger.record({ userId: 1, projectId: 'p-1', modelId: 'sonnet', usage: usage(1000, 0) });

    // Act: a minute later it is April
    now = new Date('2026-04-01T00:00:30.000Z');
    await ledger.record({ userId: 1, projectId: 'p-1', modelId: 'sonnet', usage: usage(2000, 0) });

    // Assess
    expect(await ledger.userTotals(1, 'month')).toMatchObject({
      calls: 1,
      inputTokens: 2000,
      costMicros: 6000,
    });
    expect(await ledger.userTotals(1, 'all')).toMatchObject({
      calls: 2,
      inputTokens: 3000,
      costMicros: 9000,
    });
    expect(await ledger.projectTotals('p-1', 'month')).toMatchObject({ calls: 1 });
    expect(await ledger.projectTotals('p-1', 'all')).toMatchObject({ calls: 2 });
    expect(await ledger.overallTotals('all')).toMatchObject({ calls: 2 });
  });

  it('reports zeros for someone who never used a model', async () => {
    // Act
    const totals = [
      await ledger.userTotals(99),
      await ledger.projectTotals('none', 'all'),
      await ledger.overallTotals(),
    ];

    // Assess
    expect(totals).toEqual([ZERO, ZERO, ZERO]);
  });

  it('adds concurrent records without losing any', async () => {
    // Act
    await Promise.all(
      Array.from({ length: 20 }, () =>
        ledger.record({ userId: 1, modelId: 'sonnet', usage: usage(100, 10) }),
      ),
    );

    // Assess
    expect(await ledger.userTotals(1)).toMatchObject({ calls: 20, inputTokens: 2000, outputTokens: 200 });
  });
});

describe('formatUsage', () => {
  it.each([
    {
      case: 'nothing yet',
      totals: ZERO,
      text: 'You: 0 model calls, 0 input + 0 output tokens, about $0.0000',
    },
    {
      case: 'a priced call',
      totals: { ...ZERO, calls: 2, inputTokens: 1000, outputTokens: 500, costMicros: 10_500 },
      text: 'You: 2 model calls, 1000 input + 500 output tokens, about $0.0105',
    },
    {
      case: 'cached tokens',
      totals: { ...ZERO, calls: 1, inputTokens: 10, outputTokens: 5, cacheReadTokens: 2000, costMicros: 600 },
      text: 'You: 1 model calls, 10 input + 5 output tokens, 2000 cached, about $0.0006',
    },
    {
      case: 'unpriced calls',
      totals: {
        ...ZERO,
        calls: 3,
        inputTokens: 10,
        outputTokens: 5,
        costMicros: 1_234_567,
        unpricedCalls: 2,
      },
      text: 'You: 3 model calls, 10 input + 5 output tokens, about $1.2346 (2 calls of unpriced models)',
    },
  ])('formats $case', ({ totals, text }) => {
    // Act
    const formatted = formatUsage('You', totals);

    // Assess
    expect(formatted).toBe(text);
  });
});
