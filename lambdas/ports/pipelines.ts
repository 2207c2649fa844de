/**
 * Pipelines port: Step Functions Standard executions of the state machines in `state-machines/`.
 * AWS adapter: @aws-sdk/client-sfn. Local adapter: the same ASL file run by aws-local-stepfunctions,
 * with what that library lacks added (unique task tokens, heartbeats enforced, history kept on disk
 * with AWS's event names, runs resumed after a restart without running a finished state twice).
 */
export type PipelineName = 'engineering' | 'devops';

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StartRunRequest {
  pipeline: PipelineName;
  /**
   * The execution name and idempotency key: 1-80 characters of `[A-Za-z0-9_-]`, readable, e.g.
   * `eng-weather-bot-1a2b3c4d-a1`. Starting a name that exists with the same input returns that
   * run; with a different input it fails with RunAlreadyExistsError.
   */
  name: string;
  /** Ids and references only: never documents, tokens or secrets (256 KiB limit). */
  input: Record<string, unknown>;
}

export interface RunSummary {
  /** Execution ARN in AWS; an opaque id of the same shape locally. */
  runId: string;
  pipeline: PipelineName;
  name: string;
  status: RunStatus;
  startedAt: string;
  stoppedAt?: string;
}

export interface RunDescription extends RunSummary {
  input: Record<string, unknown>;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** One event of a run's history, named as Step Functions names them (TaskStateEntered, ...). */
export interface RunHistoryEvent {
  id: number;
  previousEventId?: number;
  type: string;
  timestamp: string;
  stateName?: string;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface Pipelines {
  start(request: StartRunRequest): Promise<RunSummary>;
  describe(runId: string): Promise<RunDescription>;
  /** Runs of a pipeline, newest first, optionally only those whose name starts with `namePrefix`. */
  list(pipeline: PipelineName, options?: { namePrefix?: string; limit?: number }): Promise<RunSummary[]>;
  history(runId: string): Promise<RunHistoryEvent[]>;
  /** @throws TaskTokenError (`invalid` or `timed_out`) */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause?: string): Promise<void>;
  sendTaskHeartbeat(taskToken: string): Promise<void>;
  stop(runId: string, cause?: string): Promise<void>;
}

export class RunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`Run ${runId} not found`);
    this.name = 'RunNotFoundError';
  }
}

export class RunAlreadyExistsError extends Error {
  constructor(readonly runName: string) {
    super(`A run named ${runName} exists with a different input`);
    this.name = 'RunAlreadyExistsError';
  }
}

/** A token that is unknown, already used (`invalid`), or whose task timed out (`timed_out`). */
export class TaskTokenError extends Error {
  constructor(
    readonly reason: 'invalid' | 'timed_out',
    message = reason === 'invalid' ? 'Task token is invalid or was already used' : 'Task timed out',
  ) {
    super(message);
    this.name = 'TaskTokenError';
  }
}

/** Execution names: at most 80 characters of what Step Functions accepts everywhere. */
export const RUN_NAME = /^[A-Za-z0-9_-]{1,80}$/;
