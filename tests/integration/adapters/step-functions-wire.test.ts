import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StepFunctionsPipelines } from '../../../lambdas/adapters/aws/step-functions-pipelines.ts';
import { RunAlreadyExistsError, RunNotFoundError, TaskTokenError } from '../../../lambdas/ports/pipelines.ts';
import { AwsJsonError, type AwsJsonServer, startAwsJsonServer } from '../../support/aws-json-server.ts';

// The real SFN client against a scripted AWS JSON 1.0 endpoint: what is asserted is the request on
// the wire and how Step Functions' answers and errors come back through the adapter.
const ENG = 'arn:aws:states:eu-west-1:123456789012:stateMachine:eng-pipeline';
const DEVOPS = 'arn:aws:states:eu-west-1:123456789012:stateMachine:devops-pipeline';
const execArn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:eng-pipeline:${name}`;
const T0 = 1_800_000_000;

let server: AwsJsonServer;

beforeAll(async () => {
  server = await startAwsJsonServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.calls.length = 0;
});

const pipelines = () =>
  new StepFunctionsPipelines({
    stateMachineArns: { engineering: ENG, devops: DEVOPS },
    client: new SFNClient({
      endpoint: server.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    }),
  });
const fail =
  (type: string, message = type) =>
  () => {
    throw new AwsJsonError(type, message);
  };
const described = (name: string, input: unknown) => ({
  executionArn: execArn(name),
  stateMachineArn: ENG,
  name,
  status: 'SUCCEEDED',
  startDate: T0,
  stopDate: T0 + 60,
  input: JSON.stringify(input),
  output: '{"ok":true}',
});

describe('StepFunctionsPipelines over AWS JSON 1.0', () => {
  it('starts an execution with its name and the input as JSON', async () => {
    // Prepare
    server.handle({
      'AWSStepFunctions.StartExecution': () => ({ executionArn: execArn('a-1'), startDate: T0 }),
    });

    // Act
    const run = await pipelines().start({ pipeline: 'engineering', name: 'a-1', input: { projectId: 'p1' } });

    // Assess
    const [call] = server.callsTo('AWSStepFunctions.StartExecution');
    expect(call?.contentType).toBe('application/x-amz-json-1.0');
    expect(call?.body).toEqual({ stateMachineArn: ENG, name: 'a-1', input: '{"projectId":"p1"}' });
    expect(run).toEqual({
      runId: execArn('a-1'),
      pipeline: 'engineering',
      name: 'a-1',
      status: 'RUNNING',
      startedAt: new Date(T0 * 1000).toISOString(),
    });
  });

  it.each([
    { input: { b: 2, a: 1 }, outcome: 'returns the existing run' },
    { input: { a: 1, b: 3 }, outcome: 'throws RunAlreadyExistsError' },
  ])('on ExecutionAlreadyExists describes the derived execution ARN and $outcome', async ({ input }) => {
    // Prepare
    server.handle({
      'AWSStepFunctions.StartExecution': fail('ExecutionAlreadyExists'),
      'AWSStepFunctions.DescribeExecution': () => described('a-1', { a: 1, b: 2 }),
    });

    // Act
    const starting = pipelines().start({ pipeline: 'engineering', name: 'a-1', input });

    // Assess
    if (input.b === 2) {
      await expect(starting).resolves.toMatchObject({ runId: execArn('a-1'), status: 'SUCCEEDED' });
    } else {
      await expect(starting).rejects.toBeInstanceOf(RunAlreadyExistsError);
    }
    expect(server.callsTo('AWSStepFunctions.DescribeExecution')[0]?.body).toEqual({
      executionArn: execArn('a-1'),
    });
  });

  it('describes a run with its input, output and pipeline', async () => {
    // Prepare
    server.handle({ 'AWSStepFunctions.DescribeExecution': () => described('a-1', { a: 1 }) });

    // Act
    const run = await pipelines().describe(execArn('a-1'));

    // Assess
    expect(run).toEqual({
      runId: execArn('a-1'),
      pipeline: 'engineering',
      name: 'a-1',
      status: 'SUCCEEDED',
      startedAt: new Date(T0 * 1000).toISOString(),
      stoppedAt: new Date((T0 + 60) * 1000).toISOString(),
      input: { a: 1 },
      output: { ok: true },
    });
  });

  it.each([
    ['describe', (p: StepFunctionsPipelines) => p.describe(execArn('gone'))],
    ['history', (p: StepFunctionsPipelines) => p.history(execArn('gone'))],
    ['stop', (p: StepFunctionsPipelines) => p.stop(execArn('gone'))],
  ])('maps ExecutionDoesNotExist to RunNotFoundError in %s', async (_name, act) => {
    // Prepare
    server.handle({
      'AWSStepFunctions.DescribeExecution': fail('ExecutionDoesNotExist'),
      'AWSStepFunctions.GetExecutionHistory': fail('ExecutionDoesNotExist'),
      'AWSStepFunctions.StopExecution': fail('ExecutionDoesNotExist'),
    });

    // Act & Assess
    await expect(act(pipelines())).rejects.toBeInstanceOf(RunNotFoundError);
  });

  it('lists across pages, keeps the name prefix only and stops at the limit', async () => {
    // Prepare
    const item = (name: string) => ({
      executionArn: execArn(name),
      stateMachineArn: ENG,
      name,
      status: 'RUNNING',
      startDate: T0,
    });
    server.handle({
      'AWSStepFunctions.ListExecutions': (body) =>
        body.nextToken === 'p2'
          ? { executions: [item('eng-x-2'), item('eng-x-1')], nextToken: 'p3' }
          : { executions: [item('eng-x-3'), item('other-1')], nextToken: 'p2' },
    });

    // Act
    const runs = await pipelines().list('engineering', { namePrefix: 'eng-x-', limit: 2 });

    // Assess
    expect(runs.map((r) => r.name)).toEqual(['eng-x-3', 'eng-x-2']);
    const calls = server.callsTo('AWSStepFunctions.ListExecutions');
    expect(calls.map((c) => c.body)).toEqual([
      { stateMachineArn: ENG, maxResults: 1000 },
      { stateMachineArn: ENG, maxResults: 1000, nextToken: 'p2' },
    ]);
  });

  it('reads the whole history and takes names, data and errors from the event details', async () => {
    // Prepare
    server.handle({
      'AWSStepFunctions.GetExecutionHistory': (body) =>
        body.nextToken
          ? {
              events: [
                {
                  id: 3,
                  previousEventId: 2,
                  type: 'TaskFailed',
                  timestamp: T0 + 2,
                  taskFailedEventDetails: {
                    resourceType: 'lambda',
                    resource: 'invoke',
                    error: 'E',
                    cause: 'C',
                  },
                },
              ],
            }
          : {
              events: [
                {
                  id: 1,
                  type: 'ExecutionStarted',
                  timestamp: T0,
                  executionStartedEventDetails: { input: '{}' },
                },
                {
                  id: 2,
                  previousEventId: 1,
                  type: 'TaskStateEntered',
                  timestamp: T0 + 1,
                  stateEnteredEventDetails: { name: 'Plan', input: '{"a":1}' },
                },
              ],
              nextToken: 'more',
            },
    });

    // Act
    const history = await pipelines().history(execArn('a-1'));

    // Assess
    expect(history).toEqual([
      { id: 1, type: 'ExecutionStarted', timestamp: new Date(T0 * 1000).toISOString(), input: '{}' },
      {
        id: 2,
        previousEventId: 1,
        type: 'TaskStateEntered',
        timestamp: new Date((T0 + 1) * 1000).toISOString(),
        stateName: 'Plan',
        input: '{"a":1}',
      },
      {
        id: 3,
        previousEventId: 2,
        type: 'TaskFailed',
        timestamp: new Date((T0 + 2) * 1000).toISOString(),
        error: 'E',
        cause: 'C',
      },
    ]);
  });

  it('sends task success, failure and heartbeat with the token', async () => {
    // Prepare
    server.handle({
      'AWSStepFunctions.SendTaskSuccess': () => ({}),
      'AWSStepFunctions.SendTaskFailure': () => ({}),
      'AWSStepFunctions.SendTaskHeartbeat': () => ({}),
    });
    const p = pipelines();

    // Act
    await p.sendTaskSuccess('tok', { approved: true });
    await p.sendTaskFailure('tok', 'Declined', 'no');
    await p.sendTaskHeartbeat('tok');

    // Assess
    expect(server.calls.map((c) => [c.target, c.body])).toEqual([
      ['AWSStepFunctions.SendTaskSuccess', { taskToken: 'tok', output: '{"approved":true}' }],
      ['AWSStepFunctions.SendTaskFailure', { taskToken: 'tok', error: 'Declined', cause: 'no' }],
      ['AWSStepFunctions.SendTaskHeartbeat', { taskToken: 'tok' }],
    ]);
  });

  it.each([
    { aws: 'TaskTimedOut', reason: 'timed_out' },
    { aws: 'InvalidToken', reason: 'invalid' },
    { aws: 'TaskDoesNotExist', reason: 'invalid' },
  ])('maps $aws to TaskTokenError($reason)', async ({ aws, reason }) => {
    // Prepare
    server.handle({ 'AWSStepFunctions.SendTaskHeartbeat': fail(aws) });

    // Act
    const beating = pipelines().sendTaskHeartbeat('tok');

    // Assess
    await expect(beating).rejects.toBeInstanceOf(TaskTokenError);
    await expect(beating).rejects.toMatchObject({ reason });
  });

  it('stops with the cause', async () => {
    // Prepare
    server.handle({ 'AWSStepFunctions.StopExecution': () => ({ stopDate: T0 }) });

    // Act
    await pipelines().stop(execArn('a-1'), 'operator');

    // Assess
    expect(server.callsTo('AWSStepFunctions.StopExecution')[0]?.body).toEqual({
      executionArn: execArn('a-1'),
      cause: 'operator',
    });
  });

  it('passes other service errors through unchanged', async () => {
    // Prepare
    server.handle({ 'AWSStepFunctions.StartExecution': fail('StateMachineDoesNotExist') });

    // Act
    const starting = pipelines().start({ pipeline: 'devops', name: 'd-1', input: {} });

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });
});
