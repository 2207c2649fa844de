import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  type PipelineName,
  type Pipelines,
  RunAlreadyExistsError,
  type RunDescription,
  type RunHistoryEvent,
  RunNotFoundError,
  type RunStatus,
  type RunSummary,
  type StartRunRequest,
  TaskTokenError,
} from '../../ports/pipelines.ts';
import { fromWireHistoryEvent, type WireHistoryEvent } from '../local/step-functions/history-wire.ts';
import { sameJson } from '../local/step-functions/same-json.ts';

export interface StepFunctionsPipelinesOptions {
  /** The state machine of each pipeline this process may use (from ENGINEERING_/DEVOPS_STATE_MACHINE_ARN). */
  stateMachineArns: Partial<Record<PipelineName, string>>;
  client?: SFNClient;
}

// ListExecutions and GetExecutionHistory answer at most 1,000 items a page.
const PAGE = 1000;

/** Pipelines port on Step Functions Standard: one state machine per pipeline. */
export class StepFunctionsPipelines implements Pipelines {
  private readonly arns: Partial<Record<PipelineName, string>>;
  private readonly client: SFNClient;

  constructor(options: StepFunctionsPipelinesOptions) {
    this.arns = options.stateMachineArns;
    this.client = options.client ?? new SFNClient({});
  }

  async start(request: StartRunRequest): Promise<RunSummary> {
    const stateMachineArn = this.arnOf(request.pipeline);
    try {
      const started = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: request.name,
          input: JSON.stringify(request.input),
        }),
      );
      return {
        runId: started.executionArn!,
        pipeline: request.pipeline,
        name: request.name,
        status: 'RUNNING',
        startedAt: toIso(started.startDate),
      };
    } catch (error) {
      if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
      // Step Functions answers a repeat of a RUNNING execution with the same input itself, but a
      // closed one (or a different input) with this error: the port's idempotency is by name and
      // input whatever the status, so compare here.
      const existing = await this.describe(executionArnOf(stateMachineArn, request.name));
      if (!sameJson(existing.input, request.input)) throw new RunAlreadyExistsError(request.name);
      const { input: _input, output: _output, error: _error, cause: _cause, ...summary } = existing;
      return summary;
    }
  }

  async describe(runId: string): Promise<RunDescription> {
    const found = await this.call(runId, () =>
      this.client.send(new DescribeExecutionCommand({ executionArn: runId })),
    );
    return this.toDescription(found);
  }

  async list(pipeline: PipelineName, options: { namePrefix?: string; limit?: number } = {}) {
    const runs: RunSummary[] = [];
    let nextToken: string | undefined;
    // ListExecutions is already newest first; it has no name filter, so page until enough match.
    do {
      const page = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn: this.arnOf(pipeline), maxResults: PAGE, nextToken }),
      );
      for (const item of page.executions ?? []) {
        if (options.namePrefix && !item.name?.startsWith(options.namePrefix)) continue;
        runs.push(this.toSummary(pipeline, item));
        if (options.limit !== undefined && runs.length >= options.limit) return runs;
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return runs;
  }

  async history(runId: string): Promise<RunHistoryEvent[]> {
    const events: RunHistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(runId, () =>
        this.client.send(
          new GetExecutionHistoryCommand({ executionArn: runId, maxResults: PAGE, nextToken }),
        ),
      );
      for (const event of page.events ?? []) events.push(fromWireHistoryEvent(toWire(event)));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.token(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? null) })),
    );
  }

  async sendTaskFailure(taskToken: string, error: string, cause?: string): Promise<void> {
    await this.token(() => this.client.send(new SendTaskFailureCommand({ taskToken, error, cause })));
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    await this.token(() => this.client.send(new SendTaskHeartbeatCommand({ taskToken })));
  }

  async stop(runId: string, cause?: string): Promise<void> {
    await this.call(runId, () => this.client.send(new StopExecutionCommand({ executionArn: runId, cause })));
  }

  private toSummary(
    pipeline: PipelineName,
    item: Pick<ExecutionListItem, 'executionArn' | 'status' | 'startDate' | 'stopDate'> & { name?: string },
  ): RunSummary {
    return {
      runId: item.executionArn!,
      pipeline,
      name: item.name!,
      status: item.status as RunStatus,
      startedAt: toIso(item.startDate),
      ...(item.stopDate ? { stoppedAt: toIso(item.stopDate) } : {}),
    };
  }

  private toDescription(found: DescribeExecutionCommandOutput): RunDescription {
    const pipeline = this.pipelineOf(found.stateMachineArn);
    return {
      ...this.toSummary(pipeline, found),
      input: JSON.parse(found.input ?? '{}') as Record<string, unknown>,
      ...(found.output !== undefined ? { output: JSON.parse(found.output) as unknown } : {}),
      ...(found.error !== undefined ? { error: found.error } : {}),
      ...(found.cause !== undefined ? { cause: found.cause } : {}),
    };
  }

  /** The configured state machine of a pipeline; a clear error where this process has none. */
  private arnOf(pipeline: PipelineName): string {
    const arn = this.arns[pipeline];
    if (!arn) {
      throw new Error(
        `No state machine is configured for the ${pipeline} pipeline (${pipeline.toUpperCase()}_STATE_MACHINE_ARN)`,
      );
    }
    return arn;
  }

  private pipelineOf(stateMachineArn: string | undefined): PipelineName {
    const entry = Object.entries(this.arns).find(([, arn]) => arn && arn === stateMachineArn);
    if (!entry) throw new Error(`State machine ${stateMachineArn} is not one of the configured pipelines`);
    return entry[0] as PipelineName;
  }

  private async call<T>(runId: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') throw new RunNotFoundError(runId);
      throw error;
    }
  }

  private async token<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const name = errorName(error);
      if (name === 'TaskTimedOut') throw new TaskTokenError('timed_out');
      if (name === 'InvalidToken' || name === 'TaskDoesNotExist') throw new TaskTokenError('invalid');
      throw error;
    }
  }
}

/** `arn:aws:states:r:a:stateMachine:sm` + `name` -> `arn:aws:states:r:a:execution:sm:name`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts[5] !== 'stateMachine' || parts.length !== 7) {
    throw new Error(`Not a state machine ARN: ${stateMachineArn}`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function toIso(date: Date | undefined): string {
  return (date ?? new Date(0)).toISOString();
}

function toWire(event: HistoryEvent): WireHistoryEvent {
  return { ...event, id: event.id ?? 0, type: event.type ?? '', timestamp: event.timestamp ?? new Date(0) };
}
