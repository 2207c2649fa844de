import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LocalLambda,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
} from '../../lambdas/adapters/local/local-step-functions.ts';
import type { RunDescription } from '../../lambdas/ports/pipelines.ts';

/** What only the local runner promises: checks at construction, files on disk, AWS's error matching. */
const LAMBDA = 'arn:aws:states:::lambda:invoke';
const CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

let dataDir: string;
const runners: LocalStepFunctions[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'local-sfn-'));
});

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const open = (
  definition: object,
  lambdas: Record<string, LocalLambda> = {},
  more: Partial<LocalStepFunctionsOptions> = {},
) => {
  const runner = new LocalStepFunctions({
    dataDir,
    definitions: { engineering: { definition }, devops: { definition } },
    lambdas,
    tasks: {},
    ...more,
  });
  runners.push(runner);
  return runner;
};

const settled = async (runner: LocalStepFunctions, runId: string): Promise<RunDescription> => {
  for (let i = 0; i < 400; i++) {
    const run = await runner.describe(runId);
    if (run.status !== 'RUNNING') return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('run did not finish');
};

describe('LocalStepFunctions', () => {
  it('refuses at construction a Task resource it cannot run, naming the state', () => {
    // Prepare
    const definition = {
      StartAt: 'Deploy',
      States: { Deploy: { Type: 'Task', Resource: 'arn:aws:states:::codebuild:startBuild.sync', End: true } },
    };

    // Act & Assess
    expect(() => open(definition)).toThrow(
      /Task state "Deploy" uses arn:aws:states:::codebuild:startBuild.sync/,
    );
  });

  it('refuses at construction a function named in the definition that has no local stand-in', () => {
    // Prepare
    const definition = {
      StartAt: 'Plan',
      States: {
        Plan: { Type: 'Task', Resource: LAMBDA, Parameters: { FunctionName: 'planner' }, End: true },
      },
    };

    // Act & Assess
    expect(() => open(definition)).toThrow(/"Plan" of engineering calls planner: no local Lambda function/);
  });

  it('keeps each run in a private file under the data dir', async () => {
    // Prepare
    const definition = {
      StartAt: 'Plan',
      States: {
        Plan: {
          Type: 'Task',
          Resource: LAMBDA,
          Parameters: { FunctionName: 'planner' },
          TimeoutSeconds: 5,
          End: true,
        },
      },
    };
    const runner = open(definition, { planner: async () => ({ steps: 2 }) });

    // Act
    const run = await runner.start({ pipeline: 'engineering', name: 'plan-1', input: {} });
    const done = await settled(runner, run.runId);

    // Assess
    expect(done.output).toEqual({ Payload: { steps: 2 }, StatusCode: 200 });
    expect(readdirSync(join(dataDir, 'runs', 'engineering'))).toEqual(['plan-1.json']);
    expect(statSync(join(dataDir, 'runs', 'engineering', 'plan-1.json')).mode & 0o777).toBe(0o600);
  });

  it('reports a Lambda error as the integration does: its type, and the error as JSON', async () => {
    // Prepare
    const definition = {
      StartAt: 'Plan',
      States: {
        Plan: {
          Type: 'Task',
          Resource: LAMBDA,
          Parameters: { FunctionName: 'planner' },
          TimeoutSeconds: 5,
          End: true,
        },
      },
    };
    const runner = open(definition, {
      planner: async () => {
        throw new RangeError('too big');
      },
    });

    // Act
    const run = await runner.start({ pipeline: 'engineering', name: 'plan-1', input: {} });

    // Assess
    const done = await settled(runner, run.runId);
    expect(done).toMatchObject({ status: 'FAILED', error: 'RangeError' });
    expect(JSON.parse(done.cause ?? '')).toEqual({ errorType: 'RangeError', errorMessage: 'too big' });
  });

  it('writes a caught Task failure as AWS does: TaskFailed, then one exited event, no success', async () => {
    // Prepare
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: LAMBDA,
          Parameters: { FunctionName: 'worker' },
          TimeoutSeconds: 5,
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Clean up' }],
          End: true,
        },
        'Clean up': { Type: 'Pass', End: true },
      },
    };
    const runner = open(definition, {
      worker: async () => {
        throw new Error('broken');
      },
    });

    // Act
    const run = await runner.start({ pipeline: 'engineering', name: 'caught-1', input: {} });
    await settled(runner, run.runId);

    // Assess
    const types = (await runner.history(run.runId)).map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('lets a States.Timeout catcher catch a heartbeat timeout, as in AWS', async () => {
    // Prepare
    const definition = {
      StartAt: 'Wait',
      States: {
        Wait: {
          Type: 'Task',
          Resource: CALLBACK,
          Parameters: { FunctionName: 'ask', Payload: { 'token.$': '$$.Task.Token' } },
          HeartbeatSeconds: 1,
          TimeoutSeconds: 30,
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Late' }],
          End: true,
        },
        Late: { Type: 'Pass', Result: 'late', End: true },
      },
    };
    const runner = open(definition, { ask: async () => ({}) });

    // Act
    const run = await runner.start({ pipeline: 'engineering', name: 'wait-1', input: {} });

    // Assess
    const done = await settled(runner, run.runId);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: 'late' });
  });

  it('times a run out at the definition TimeoutSeconds; its token is then timed_out', async () => {
    // Prepare
    const tokens: string[] = [];
    const definition = {
      TimeoutSeconds: 1,
      StartAt: 'Wait',
      States: {
        Wait: {
          Type: 'Task',
          Resource: CALLBACK,
          Parameters: { FunctionName: 'ask', Payload: { 'token.$': '$$.Task.Token' } },
          TimeoutSeconds: 30,
          End: true,
        },
      },
    };
    const runner = open(definition, { ask: async (p) => void tokens.push((p as { token: string }).token) });

    // Act
    const run = await runner.start({ pipeline: 'engineering', name: 'wait-1', input: {} });

    // Assess
    const done = await settled(runner, run.runId);
    expect(done).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect((await runner.history(run.runId)).at(-1)?.type).toBe('ExecutionTimedOut');
    await expect(runner.sendTaskSuccess(tokens[0]!, {})).rejects.toMatchObject({ reason: 'timed_out' });
  });
});
