import {
  type PipelineName,
  type Pipelines,
  RunAlreadyExistsError,
  RunNotFoundError,
  type RunSummary,
  TaskTokenError,
} from '../../../ports/pipelines.ts';
import { toWireHistoryEvent } from './history-wire.ts';
import { localStateMachineArn } from './run-store.ts';

/**
 * The Step Functions API over AWS JSON 1.0, answered by a local Pipelines, so a worker process
 * uses the real `@aws-sdk/client-sfn` with an endpoint override and the same code runs in AWS.
 * Errors are `{"__type": <AWS error name>, "message"}` with status 400, as AWS sends them.
 */
export interface SfnJsonReply {
  status: number;
  body: Record<string, unknown>;
}

type Body = Record<string, unknown>;
const PAGE = 100;

class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function handleSfnJsonRequest(
  pipelines: Pipelines,
  target: string,
  rawBody: unknown,
): Promise<SfnJsonReply> {
  const body = (rawBody && typeof rawBody === 'object' ? rawBody : {}) as Body;
  const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  try {
    const handler = OPERATIONS[operation];
    if (!handler) throw new SfnApiError('UnknownOperationException', `Unsupported operation ${target}`);
    return { status: 200, body: await handler(pipelines, body) };
  } catch (error) {
    const [type, message] = awsError(error);
    return { status: type === 'InternalFailure' ? 500 : 400, body: { __type: type, message } };
  }
}

const OPERATIONS: Record<string, (pipelines: Pipelines, body: Body) => Promise<Body>> = {
  SendTaskSuccess: async (p, b) => {
    await p.sendTaskSuccess(text(b, 'taskToken'), JSON.parse(text(b, 'output')));
    return {};
  },
  SendTaskFailure: async (p, b) => {
    await p.sendTaskFailure(text(b, 'taskToken'), optional(b, 'error') ?? '', optional(b, 'cause'));
    return {};
  },
  SendTaskHeartbeat: async (p, b) => {
    await p.sendTaskHeartbeat(text(b, 'taskToken'));
    return {};
  },
  StartExecution: async (p, b) => {
    const pipeline = pipelineOf(text(b, 'stateMachineArn'));
    const name = optional(b, 'name');
    if (!name) throw new SfnApiError('InvalidName', 'The local runner needs an execution name');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(optional(b, 'input') ?? '{}') as Record<string, unknown>;
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'The execution input is not valid JSON');
    }
    const run = await p.start({ pipeline, name, input });
    return { executionArn: run.runId, startDate: seconds(run.startedAt) };
  },
  DescribeExecution: async (p, b) => {
    const run = await p.describe(text(b, 'executionArn'));
    return {
      ...listItem(run),
      input: JSON.stringify(run.input),
      ...(run.output !== undefined ? { output: JSON.stringify(run.output) } : {}),
      ...(run.error !== undefined ? { error: run.error } : {}),
      ...(run.cause !== undefined ? { cause: run.cause } : {}),
    };
  },
  ListExecutions: async (p, b) => {
    const runs = await p.list(pipelineOf(text(b, 'stateMachineArn')));
    const filtered = b.statusFilter ? runs.filter((r) => r.status === b.statusFilter) : runs;
    return page(filtered.map(listItem), b, 'executions');
  },
  GetExecutionHistory: async (p, b) => {
    const events = (await p.history(text(b, 'executionArn'))).map(toWireHistoryEvent);
    return page(b.reverseOrder === true ? events.reverse() : events, b, 'events');
  },
  StopExecution: async (p, b) => {
    await p.stop(text(b, 'executionArn'), optional(b, 'cause'));
    return { stopDate: Date.now() / 1000 };
  },
};

function listItem(run: RunSummary): Body {
  return {
    executionArn: run.runId,
    stateMachineArn: localStateMachineArn(run.pipeline),
    name: run.name,
    status: run.status,
    startDate: seconds(run.startedAt),
    ...(run.stoppedAt ? { stopDate: seconds(run.stoppedAt) } : {}),
  };
}

/** `nextToken` is the offset of the next page; `maxResults` 0 means the service default. */
function page(items: unknown[], b: Body, key: string): Body {
  const offset = Number(optional(b, 'nextToken') ?? 0);
  const size = typeof b.maxResults === 'number' && b.maxResults > 0 ? b.maxResults : PAGE;
  const next = offset + size;
  return { [key]: items.slice(offset, next), ...(next < items.length ? { nextToken: String(next) } : {}) };
}

function pipelineOf(stateMachineArn: string): PipelineName {
  const name = stateMachineArn.split(':stateMachine:')[1];
  if (!name) throw new SfnApiError('InvalidArn', `Invalid state machine ARN ${stateMachineArn}`);
  return name as PipelineName;
}

function text(b: Body, key: string): string {
  const value = b[key];
  if (typeof value !== 'string') throw new SfnApiError('ValidationException', `${key} is required`);
  return value;
}

function optional(b: Body, key: string): string | undefined {
  return typeof b[key] === 'string' ? (b[key] as string) : undefined;
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

function awsError(error: unknown): [string, string] {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SfnApiError) return [error.type, message];
  if (error instanceof RunNotFoundError) return ['ExecutionDoesNotExist', message];
  if (error instanceof RunAlreadyExistsError) return ['ExecutionAlreadyExists', message];
  if (error instanceof TaskTokenError)
    return [error.reason === 'timed_out' ? 'TaskTimedOut' : 'InvalidToken', message];
  if (error instanceof SyntaxError) return ['InvalidOutput', message];
  if (error instanceof TypeError && /run name/.test(message)) return ['InvalidName', message];
  if (/Unknown pipeline/.test(message)) return ['StateMachineDoesNotExist', message];
  return ['InternalFailure', message];
}
