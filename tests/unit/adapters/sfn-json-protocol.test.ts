import { describe, expect, it } from 'vitest';
import { handleSfnJsonRequest } from '../../../lambdas/adapters/local/step-functions/sfn-json-protocol.ts';
import {
  type Pipelines,
  RunAlreadyExistsError,
  RunNotFoundError,
  type RunSummary,
  TaskTokenError,
} from '../../../lambdas/ports/pipelines.ts';

const SM = 'arn:aws:states:local:000000000000:stateMachine:engineering';
const summary = (name: string): RunSummary => ({
  runId: `arn:aws:states:local:000000000000:execution:engineering:${name}`,
  pipeline: 'engineering',
  name,
  status: 'RUNNING',
  startedAt: '2027-01-15T08:00:00.000Z',
});

/** A Pipelines whose every method fails with `error`, or answers as scripted. */
function pipelines(overrides: Partial<Pipelines> = {}, error?: Error): Pipelines {
  const fail = async () => {
    throw error ?? new Error('not scripted');
  };
  return {
    start: fail,
    describe: fail,
    list: fail,
    history: fail,
    sendTaskSuccess: fail,
    sendTaskFailure: fail,
    sendTaskHeartbeat: fail,
    stop: fail,
    ...overrides,
  } as Pipelines;
}

describe('handleSfnJsonRequest', () => {
  it.each([
    { error: new TaskTokenError('timed_out'), type: 'TaskTimedOut' },
    { error: new TaskTokenError('invalid'), type: 'InvalidToken' },
    { error: new RunNotFoundError('r'), type: 'ExecutionDoesNotExist' },
    { error: new RunAlreadyExistsError('r'), type: 'ExecutionAlreadyExists' },
  ])('answers $error.name as a 400 $type', async ({ error, type }) => {
    // Act
    const reply = await handleSfnJsonRequest(pipelines({}, error), 'AWSStepFunctions.SendTaskHeartbeat', {
      taskToken: 't',
    });

    // Assess
    expect(reply).toEqual({ status: 400, body: { __type: type, message: error.message } });
  });

  it('parses the success output before handing it over', async () => {
    // Prepare
    const sent: unknown[] = [];
    const local = pipelines({ sendTaskSuccess: async (token, output) => void sent.push(token, output) });

    // Act
    const reply = await handleSfnJsonRequest(local, 'AWSStepFunctions.SendTaskSuccess', {
      taskToken: 't',
      output: '{"ok":true}',
    });

    // Assess
    expect(reply).toEqual({ status: 200, body: {} });
    expect(sent).toEqual(['t', { ok: true }]);
  });

  it('starts by the pipeline named in the state machine ARN', async () => {
    // Prepare
    const local = pipelines({ start: async (request) => summary(request.name) });

    // Act
    const reply = await handleSfnJsonRequest(local, 'AWSStepFunctions.StartExecution', {
      stateMachineArn: SM,
      name: 'r1',
      input: '{"a":1}',
    });

    // Assess
    expect(reply.body).toEqual({ executionArn: summary('r1').runId, startDate: 1_800_000_000 });
  });

  it('pages executions with an offset token', async () => {
    // Prepare
    const local = pipelines({ list: async () => ['a', 'b', 'c'].map(summary) });

    // Act
    const first = await handleSfnJsonRequest(local, 'AWSStepFunctions.ListExecutions', {
      stateMachineArn: SM,
      maxResults: 2,
    });
    const second = await handleSfnJsonRequest(local, 'AWSStepFunctions.ListExecutions', {
      stateMachineArn: SM,
      maxResults: 2,
      nextToken: first.body.nextToken,
    });

    // Assess
    expect((first.body.executions as { name: string }[]).map((e) => e.name)).toEqual(['a', 'b']);
    expect((second.body.executions as { name: string }[]).map((e) => e.name)).toEqual(['c']);
    expect(second.body.nextToken).toBeUndefined();
  });

  it('answers an unknown operation and a missing token as client errors', async () => {
    // Act
    const unknown = await handleSfnJsonRequest(pipelines(), 'AWSStepFunctions.CreateStateMachine', {});
    const missing = await handleSfnJsonRequest(pipelines(), 'AWSStepFunctions.SendTaskHeartbeat', {});

    // Assess
    expect(unknown).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(missing).toMatchObject({ status: 400, body: { __type: 'ValidationException' } });
  });
});
