import { randomBytes } from 'node:crypto';
import {
  type Pipelines,
  RunAlreadyExistsError,
  type RunDescription,
  type RunHistoryEvent,
  RunNotFoundError,
  type RunSummary,
  type StartRunRequest,
  TaskTokenError,
} from '../../lambdas/ports/pipelines.ts';

/**
 * A pipelines port for domain tests: runs are records, tokens are issued by the test with
 * `waitOn(runId, state)`, and what was sent back through them is kept. The contract suite holds
 * the real adapters to the same behaviour.
 */
export class MemoryPipelines implements Pipelines {
  readonly runs = new Map<string, RunDescription & { events: RunHistoryEvent[] }>();
  readonly answered = new Map<string, unknown>();
  private readonly tokens = new Map<string, { runId: string; used: boolean }>();

  async start(request: StartRunRequest): Promise<RunSummary> {
    const runId = `arn:local:execution:${request.pipeline}:${request.name}`;
    const existing = this.runs.get(runId);
    if (existing) {
      if (JSON.stringify(existing.input) !== JSON.stringify(request.input))
        throw new RunAlreadyExistsError(request.name);
      return existing;
    }
    const run = {
      runId,
      pipeline: request.pipeline,
      name: request.name,
      status: 'RUNNING' as const,
      startedAt: new Date(0).toISOString(),
      input: request.input,
      events: [{ id: 1, type: 'ExecutionStarted', timestamp: new Date(0).toISOString() }],
    };
    this.runs.set(runId, run);
    return run;
  }

  /** Puts the run in `state` and returns a token for it, as a callback task would get. */
  waitOn(runId: string, stateName: string): string {
    const run = this.runs.get(runId);
    if (!run) throw new RunNotFoundError(runId);
    run.events.push({
      id: run.events.length + 1,
      type: 'TaskStateEntered',
      stateName,
      timestamp: run.startedAt,
    });
    const token = randomBytes(16).toString('hex');
    this.tokens.set(token, { runId, used: false });
    return token;
  }

  async describe(runId: string): Promise<RunDescription> {
    const run = this.runs.get(runId);
    if (!run) throw new RunNotFoundError(runId);
    const { events: _events, ...description } = run;
    return description;
  }

  async list(): Promise<RunSummary[]> {
    return [...this.runs.values()];
  }

  async history(runId: string): Promise<RunHistoryEvent[]> {
    return this.runs.get(runId)?.events ?? [];
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    const held = this.tokens.get(taskToken);
    if (!held || held.used) throw new TaskTokenError('invalid');
    held.used = true;
    this.answered.set(taskToken, output);
  }

  async sendTaskFailure(taskToken: string): Promise<void> {
    await this.sendTaskSuccess(taskToken, { failed: true });
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    if (!this.tokens.has(taskToken)) throw new TaskTokenError('invalid');
  }

  async stop(runId: string): Promise<void> {
    const run = this.runs.get(runId);
    if (run) run.status = 'ABORTED';
  }
}
