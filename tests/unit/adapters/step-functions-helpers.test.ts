import { describe, expect, it } from 'vitest';
import { executionArnOf } from '../../../lambdas/adapters/aws/step-functions-pipelines.ts';
import { mapLibraryEvent } from '../../../lambdas/adapters/local/step-functions/history-events.ts';
import {
  detailsKey,
  fromWireHistoryEvent,
  toWireHistoryEvent,
} from '../../../lambdas/adapters/local/step-functions/history-wire.ts';
import { sameJson } from '../../../lambdas/adapters/local/step-functions/same-json.ts';
import {
  clampTimeouts,
  containerEnvironment,
  localName,
  MAX_TIMER_SECONDS,
  matchHeartbeatAsTimeout,
  planTaskStates,
  replaceToken,
} from '../../../lambdas/adapters/local/step-functions/task-states.ts';

const task = (Resource: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource,
  End: true,
  ...extra,
});
type Rules = { Retry: { ErrorEquals: string[] }[]; Catch: { ErrorEquals: string[] }[] };
const LAMBDA = 'arn:aws:states:::lambda:invoke';
const ECS = 'arn:aws:states:::ecs:runTask.waitForTaskToken';

describe('planTaskStates', () => {
  it('finds Task states in Parallel branches and Map processors, with their limits and targets', () => {
    // Prepare
    const definition = {
      StartAt: 'A',
      States: {
        A: task(LAMBDA, { Parameters: { FunctionName: 'analyst' }, TimeoutSeconds: 30 }),
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'B', States: { B: task(`${LAMBDA}.waitForTaskToken`, { HeartbeatSeconds: 5 }) } },
          ],
        },
        M: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'C',
            States: { C: task(ECS, { Parameters: { TaskDefinition: 'coding-worker' } }) },
          },
        },
      },
    };

    // Act
    const plans = planTaskStates(definition);

    // Assess
    expect([...plans.values()]).toEqual([
      { stateName: 'A', kind: 'lambda', resource: LAMBDA, timeoutSeconds: 30, target: 'analyst' },
      {
        stateName: 'B',
        kind: 'lambda-callback',
        resource: `${LAMBDA}.waitForTaskToken`,
        heartbeatSeconds: 5,
      },
      { stateName: 'C', kind: 'ecs-callback', resource: ECS, target: 'coding-worker' },
    ]);
  });

  it('refuses a resource it cannot run, naming the state', () => {
    // Prepare
    const definition = { StartAt: 'Stop', States: { Stop: task('arn:aws:states:::ecs:stopTask') } };

    // Act & Assess
    expect(() => planTaskStates(definition)).toThrow(/"Stop" uses arn:aws:states:::ecs:stopTask/);
  });

  it('refuses two Task states of one name, which name-keyed overrides could not tell apart', () => {
    // Prepare
    const branch = { StartAt: 'X', States: { X: task(LAMBDA) } };
    const definition = {
      StartAt: 'P',
      States: { P: { Type: 'Parallel', Branches: [branch, branch], End: true } },
    };

    // Act & Assess
    expect(() => planTaskStates(definition)).toThrow(/Two Task states are named "X"/);
  });
});

describe('matchHeartbeatAsTimeout', () => {
  it('adds States.HeartbeatTimeout beside States.Timeout of Task states with a heartbeat only', () => {
    // Prepare
    const definition = {
      StartAt: 'A',
      States: {
        A: task(ECS, {
          HeartbeatSeconds: 60,
          Retry: [{ ErrorEquals: ['States.Timeout'] }],
          Catch: [{ ErrorEquals: ['Custom'], Next: 'B' }],
        }),
        B: task(LAMBDA, { Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'A' }] }),
      },
    };

    // Act
    const rewritten = matchHeartbeatAsTimeout(definition) as unknown as { States: Record<string, Rules> };
    const original = definition as unknown as { States: Record<string, Rules> };

    // Assess
    expect(rewritten.States.A!.Retry[0]?.ErrorEquals).toEqual(['States.Timeout', 'States.HeartbeatTimeout']);
    expect(rewritten.States.A!.Catch[0]?.ErrorEquals).toEqual(['Custom']);
    expect(rewritten.States.B!.Catch[0]?.ErrorEquals).toEqual(['States.Timeout']);
    expect(original.States.A!.Retry[0]?.ErrorEquals).toEqual(['States.Timeout']);
  });
});

describe('localName', () => {
  it.each([
    ['engineering-analyst', 'engineering-analyst'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:engineering-analyst', 'engineering-analyst'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:engineering-analyst:live', 'engineering-analyst'],
    ['arn:aws:ecs:eu-west-1:123456789012:task-definition/coding-worker:3', 'coding-worker'],
    ['coding-worker:3', 'coding-worker'],
  ])('finds the local stand-in of %s under %s', (nameOrArn, expected) => {
    expect(localName(nameOrArn)).toBe(expected);
  });
});

describe('clampTimeouts', () => {
  it("gives a Task without TimeoutSeconds the longest timer instead of the library's 60 s, and caps long ones", () => {
    // Prepare
    const definition = {
      TimeoutSeconds: 40_000_000,
      StartAt: 'A',
      States: {
        A: task(LAMBDA),
        B: task(LAMBDA, { TimeoutSeconds: 2_592_000 }),
        C: task(LAMBDA, { TimeoutSeconds: 30 }),
        D: task(LAMBDA, { TimeoutSecondsPath: '$.t' }),
      },
    };

    // Act
    const clamped = clampTimeouts(definition) as unknown as {
      TimeoutSeconds: number;
      States: Record<string, { TimeoutSeconds?: number }>;
    };

    // Assess
    expect(clamped.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(Object.values(clamped.States).map((s) => s.TimeoutSeconds)).toEqual([
      MAX_TIMER_SECONDS,
      MAX_TIMER_SECONDS,
      30,
      undefined,
    ]);
    expect(MAX_TIMER_SECONDS).toBe(2_147_483);
  });
});

describe('replaceToken and containerEnvironment', () => {
  it('replaces the placeholder in nested values and inside strings', () => {
    // Act
    const replaced = replaceToken({ a: ['P', { b: 'token=P;' }], n: 1, z: null }, 'P', 'tok');

    // Assess
    expect(replaced).toEqual({ a: ['tok', { b: 'token=tok;' }], n: 1, z: null });
  });

  it('reads the first container override environment, in either spelling', () => {
    // Prepare
    const input = {
      Overrides: {
        ContainerOverrides: [
          {
            Environment: [
              { Name: 'TASK_TOKEN', Value: 't' },
              { name: 'N', value: 2 },
            ],
          },
        ],
      },
    };

    // Act & Assess
    expect(containerEnvironment(input)).toEqual({ TASK_TOKEN: 't', N: '2' });
    expect(containerEnvironment({})).toEqual({});
  });
});

describe('mapLibraryEvent', () => {
  const state = (type: string, extra: object = {}) => ({ name: 'S', type, input: { a: 1 }, ...extra });

  it.each([
    [{ type: 'ExecutionStarted', input: { a: 1 } }, [{ type: 'ExecutionStarted', input: '{"a":1}' }]],
    [
      { type: 'StateEntered', state: state('Task') },
      [
        { type: 'TaskStateEntered', stateName: 'S', input: '{"a":1}' },
        { type: 'TaskScheduled' },
        { type: 'TaskStarted' },
      ],
    ],
    [
      { type: 'StateExited', state: state('Task', { output: 2 }) },
      [
        { type: 'TaskSucceeded', output: '2' },
        { type: 'TaskStateExited', stateName: 'S', output: '2' },
      ],
    ],
    [{ type: 'StateExited', state: state('Succeed') }, []],
    [
      { type: 'StateFailed', state: state('Task'), Error: 'States.HeartbeatTimeout', Cause: 'late' },
      [{ type: 'TaskTimedOut', error: 'States.HeartbeatTimeout', cause: 'late' }],
    ],
    [
      { type: 'StateFailed', state: state('Task'), Error: 'Boom', Cause: { why: 1 } },
      [{ type: 'TaskFailed', error: 'Boom', cause: '{"why":1}' }],
    ],
    [{ type: 'StateFailed', state: state('Pass'), Error: 'States.Runtime' }, []],
    [{ type: 'StateRetried', state: state('Task') }, [{ type: 'TaskScheduled' }, { type: 'TaskStarted' }]],
    [{ type: 'StateCaught', state: state('Task') }, [{ type: 'TaskStateExited', stateName: 'S' }]],
    [
      { type: 'StateEntered', state: state('Map') },
      [{ type: 'MapStateEntered', stateName: 'S', input: '{"a":1}' }, { type: 'MapStateStarted' }],
    ],
    [{ type: 'ExecutionTimeout' }, [{ type: 'ExecutionTimedOut', error: 'States.Timeout' }]],
    [{ type: 'ParallelBranchStarted' }, []],
  ])('maps %j', (event, expected) => {
    // Act & Assess
    expect(mapLibraryEvent(event)).toEqual(expected);
  });
});

describe('history on the wire', () => {
  it.each([
    ['TaskStateEntered', 'stateEnteredEventDetails'],
    ['ChoiceStateExited', 'stateExitedEventDetails'],
    ['TaskFailed', 'taskFailedEventDetails'],
    ['ExecutionStarted', 'executionStartedEventDetails'],
  ])('keeps the details of %s in %s', (type, key) => {
    expect(detailsKey(type)).toBe(key);
  });

  it('round-trips an event through the AWS shape', () => {
    // Prepare
    const event = {
      id: 4,
      previousEventId: 3,
      type: 'TaskStateExited',
      timestamp: '2027-01-15T08:00:00.123Z',
      stateName: 'Plan',
      output: '{"x":1}',
    };

    // Act
    const wire = toWireHistoryEvent(event);

    // Assess
    expect(wire.stateExitedEventDetails).toEqual({ name: 'Plan', output: '{"x":1}' });
    expect(fromWireHistoryEvent(wire)).toEqual(event);
  });
});

describe('small helpers', () => {
  it('compares JSON regardless of key order but not of array order', () => {
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
  });

  it('derives an execution ARN from a state machine ARN', () => {
    expect(executionArnOf('arn:aws:states:eu-west-1:1:stateMachine:eng', 'run-1')).toBe(
      'arn:aws:states:eu-west-1:1:execution:eng:run-1',
    );
    expect(() => executionArnOf('arn:aws:lambda:eu-west-1:1:function:f', 'x')).toThrow(
      /Not a state machine ARN/,
    );
  });
});
