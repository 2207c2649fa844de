import { createHash } from 'node:crypto';
import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';
import { type Pipelines, TaskTokenError } from '../../ports/pipelines.ts';
import type { Principal } from '../access/access-policy.ts';
import { type Budgets, runAllowanceKey } from '../usage/budgets.ts';

/** A run stopped at a budget, waiting for its owner to raise it for this run or stop. */
export interface BudgetQuestion {
  id: string;
  runName: string;
  projectId: string;
  ownerId: number;
  /** Which pipeline's run waits (default engineering): the buttons' answers name a build or a deploy. */
  pipeline?: 'engineering' | 'devops';
  expiresAt: number;
}

export type BudgetDecision = 'raise' | 'stop';
export type BudgetAnswerOutcome = 'accepted' | 'stale' | 'not_yours';

/**
 * The questions pipeline runs ask at a budget. As with escalations, the task token stays here
 * behind a short id (Telegram's callback data holds 64 bytes), consumed once by its owner.
 */
export class BudgetQuestions {
  constructor(
    private readonly store: KeyValueStore,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async open(
    input: Omit<BudgetQuestion, 'id' | 'expiresAt'> & { taskToken: string; ttlSeconds: number },
  ): Promise<BudgetQuestion> {
    // From the token: a repeated invocation of the step for the same wait finds the same question.
    const id = createHash('sha256').update(`budget:${input.taskToken}`).digest('hex').slice(0, 16);
    const question: BudgetQuestion = {
      id,
      runName: input.runName,
      projectId: input.projectId,
      ownerId: input.ownerId,
      ...(input.pipeline ? { pipeline: input.pipeline } : {}),
      expiresAt: this.now() + input.ttlSeconds,
    };
    try {
      await this.store.put(
        'sessions',
        { pk: `BUDGETQ#${id}`, sk: 'OPEN', ...question, taskToken: input.taskToken, version: 0 },
        { ifAbsent: true },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      return (await this.get(id)) ?? question;
    }
    return question;
  }

  async get(id: string): Promise<BudgetQuestion | undefined> {
    const item = await this.store.get('sessions', { pk: `BUDGETQ#${id}`, sk: 'OPEN' });
    if (!item || item.answered) return undefined;
    const { pk: _pk, sk: _sk, taskToken: _t, version: _v, answered: _a, ...rest } = item;
    return rest as unknown as BudgetQuestion;
  }

  /** Takes the token out, once: a second press, or one after expiry, gets undefined. */
  async consume(id: string): Promise<{ question: BudgetQuestion; taskToken: string } | undefined> {
    const item = await this.store.get('sessions', { pk: `BUDGETQ#${id}`, sk: 'OPEN' });
    if (!item || item.answered) return undefined;
    const version = Number(item.version ?? 0);
    try {
      await this.store.put(
        'sessions',
        { ...item, answered: true, taskToken: '', version: version + 1 },
        { ifVersion: version },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    const { pk: _pk, sk: _sk, taskToken, answered: _a, version: _v, ...rest } = item;
    return { question: rest as unknown as BudgetQuestion, taskToken: String(taskToken) };
  }
}

/**
 * The owner's answer to a run's budget question (the `bud:` buttons): Raise records a one-off
 * allowance for the run and lets it go on; Stop ends it (the run tells the owner). Only the
 * owner's first press counts.
 */
export class RunBudgetDecisions {
  constructor(
    private readonly deps: { questions: BudgetQuestions; budgets: Budgets; pipelines: Pipelines },
  ) {}

  /** What the question's run is, while it is open: the answer to a press names it. */
  async pipelineOf(id: string): Promise<'engineering' | 'devops' | undefined> {
    const open = await this.deps.questions.get(id);
    return open ? (open.pipeline ?? 'engineering') : undefined;
  }

  async decide(principal: Principal, id: string, decision: BudgetDecision): Promise<BudgetAnswerOutcome> {
    const open = await this.deps.questions.get(id);
    if (!open) return 'stale';
    if (open.ownerId !== principal.userId) return 'not_yours';
    const consumed = await this.deps.questions.consume(id);
    if (!consumed) return 'stale';
    if (decision === 'raise') {
      await this.deps.budgets.grantAllowance(runAllowanceKey(open.runName), id, principal.userId);
    }
    try {
      await this.deps.pipelines.sendTaskSuccess(consumed.taskToken, { decision });
      return 'accepted';
    } catch (error) {
      if (error instanceof TaskTokenError) return 'stale';
      throw error;
    }
  }
}
