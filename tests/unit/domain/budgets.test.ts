import { describe, expect, it } from 'vitest';
import {
  Budgets,
  formatStanding,
  runAllowanceKey,
  turnAllowanceKey,
} from '../../../lambdas/domain/usage/budgets.ts';
import { UsageLedger } from '../../../lambdas/domain/usage/usage-ledger.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';

// $1 per million input tokens: 1,000 tokens cost 1,000 micro-dollars ($0.001).
const PRICES = { m: { inputPerMTok: 1, outputPerMTok: 0 } };
const DEFAULTS = { personMonthlyUsd: 0.002, projectMonthlyUsd: 0.005, raiseUsd: 0.003 };

function world() {
  const clock = new ManualClock();
  const store = new MemoryStore({ now: clock.now });
  const date = () => new Date(clock.now() * 1000);
  const ledger = new UsageLedger(store, PRICES, date);
  const budgets = new Budgets(store, ledger, DEFAULTS, date);
  const spend = (userId: number, tokens: number, projectId?: string) =>
    ledger.record({
      userId,
      modelId: 'm',
      usage: { inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      ...(projectId ? { projectId } : {}),
    });
  return { store, budgets, spend };
}

describe('Budgets', () => {
  it('uses the configured defaults until an admin sets a budget, per person and per project', async () => {
    // Prepare
    const { budgets } = world();

    // Act
    const before = await budgets.limitOf({ kind: 'person', userId: 7 });
    await budgets.setLimit({ kind: 'person', userId: 7 }, 12.5, 1);
    await budgets.setLimit({ kind: 'project', projectId: 'p1' }, 3, 1);

    // Assess
    expect(before).toEqual({ limitMicros: 2000, custom: false });
    expect(await budgets.limitOf({ kind: 'person', userId: 7 })).toEqual({
      limitMicros: 12_500_000,
      custom: true,
    });
    expect(await budgets.limitOf({ kind: 'project', projectId: 'p1' })).toEqual({
      limitMicros: 3_000_000,
      custom: true,
    });
    expect(await budgets.limitOf({ kind: 'project', projectId: 'p2' })).toEqual({
      limitMicros: 5000,
      custom: false,
    });
  });

  it.each([
    { case: 'under both', tokens: 1999, projectTokens: 0, over: false, reached: undefined },
    { case: 'the person reached theirs', tokens: 2000, projectTokens: 0, over: true, reached: 'person' },
    { case: 'the project reached its own', tokens: 0, projectTokens: 5000, over: true, reached: 'project' },
  ])('says whether more spend would go over: $case', async ({ tokens, projectTokens, over, reached }) => {
    // Prepare: the project's spend is by someone else, so only the project budget sees it
    const { budgets, spend } = world();
    if (tokens) await spend(7, tokens, 'p1');
    if (projectTokens) await spend(8, projectTokens, 'p1');

    // Act
    const check = await budgets.check({ userId: 7, projectId: 'p1', allowanceKey: runAllowanceKey('r1') });

    // Assess
    expect(check.over).toBe(over);
    expect(check.reached?.scope.kind).toBe(reached);
  });

  it('lets a turn or run go on past its budget by the allowances granted to it, and no other', async () => {
    // Prepare
    const { budgets, spend } = world();
    await spend(7, 2500);
    const key = turnAllowanceKey(7, 'req-1');

    // Act: granted once, the same press delivered twice
    await budgets.grantAllowance(key, 'nonce-a', 7);
    await budgets.grantAllowance(key, 'nonce-a', 7);

    // Assess
    expect(await budgets.allowance(key)).toBe(3000);
    expect((await budgets.check({ userId: 7, allowanceKey: key })).over).toBe(false);
    expect((await budgets.check({ userId: 7, allowanceKey: turnAllowanceKey(7, 'req-2') })).over).toBe(true);
    await spend(7, 2500);
    expect((await budgets.check({ userId: 7, allowanceKey: key })).over).toBe(true);
    await budgets.grantAllowance(key, 'nonce-b', 7);
    expect((await budgets.check({ userId: 7, allowanceKey: key })).over).toBe(false);
  });

  it('shows spend against the budget for /usage', async () => {
    const { budgets, spend } = world();
    await spend(7, 1000);
    expect(formatStanding(await budgets.standing({ kind: 'person', userId: 7 }))).toBe(
      'Your budget: $0.0010 of $0.0020 (default) spent this month',
    );
  });
});
