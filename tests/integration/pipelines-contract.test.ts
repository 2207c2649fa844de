import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepFunctionsPipelines } from '../../lambdas/adapters/aws/step-functions-pipelines.ts';
import {
  LocalStepFunctions,
  processTaskLauncher,
  startSfnEndpoint,
} from '../../lambdas/adapters/local/local-step-functions.ts';
import { localStateMachineArn } from '../../lambdas/adapters/local/step-functions/run-store.ts';
import type { SfnEndpoint } from '../../lambdas/adapters/local/step-functions/sfn-endpoint.ts';
import {
  type Pipelines,
  RunAlreadyExistsError,
  type RunDescription,
  RunNotFoundError,
  type RunStatus,
  TaskTokenError,
} from '../../lambdas/ports/pipelines.ts';
import { isAlive } from '../support/pids.ts';

/**
 * One suite, two implementations of the pipelines port: the local runner called directly, and the
 * AWS adapter with the real SDK on the wire against the local runner's JSON endpoint. Both run the
 * same ASL fixture; a "restart" builds a new local runner on the same data dir, as a new process would.
 */
const fixtures = join(import.meta.dirname, '../fixtures');
const definition = JSON.parse(readFileSync(join(fixtures, 'state-machines/contract.asl.json'), 'utf8'));

/** The Lambda functions of the fixture, counting calls and keeping the tokens handed to `ask`. */
class World {
  readonly calls: Record<string, number> = {};
  readonly tokens: string[] = [];
  readonly lambdas = {
    prepare: this.count('prepare', async (p: { count: number }) => ({ count: p.count })),
    decrement: this.count('decrement', async (p: { count: number }) => ({ count: p.count - 1 })),
    finish: this.count('finish', async (p: unknown) => p),
    ask: this.count('ask', async (p: { token: string; question: string }) => {
      this.tokens.push(p.token);
      return { sent: p.question };
    }),
  };

  private count<T>(name: string, fn: (payload: T) => Promise<unknown>) {
    return (payload: unknown) => {
      this.calls[name] = (this.calls[name] ?? 0) + 1;
      return fn(payload as T);
    };
  }
}

interface Subject {
  name: string;
  open(dataDir: string, world: World): Promise<Pipelines>;
  /** Drops the runner as a dying process would and starts a new one on the same data dir. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** One local runner plus the JSON endpoint its workers report to; `restart` swaps the runner. */
function localWorld() {
  let local: LocalStepFunctions | undefined;
  let endpoint: SfnEndpoint | undefined;
  let args: { dataDir: string; world: World } | undefined;
  const build = () => {
    const { dataDir, world } = args!;
    const env = { AWS_ENDPOINT_URL_SFN: endpoint!.url };
    local = new LocalStepFunctions({
      dataDir,
      definitions: { engineering: { definition }, devops: { definition } },
      lambdas: world.lambdas,
      tasks: {
        sleeper: processTaskLauncher({
          command: process.execPath,
          args: [join(fixtures, 'sleeper-task.mjs')],
          env,
        }),
        reporter: processTaskLauncher({
          command: process.execPath,
          args: [join(fixtures, 'reporter-task.mjs')],
          env,
        }),
      },
    });
    return local;
  };
  return {
    async open(dataDir: string, world: World) {
      args = { dataDir, world };
      // The endpoint asks whichever runner is current, so a restart keeps its URL.
      endpoint = await startSfnEndpoint({
        handleSfnJsonRequest: (t, b) => local!.handleSfnJsonRequest(t, b),
      });
      return { local: build(), url: endpoint.url };
    },
    async restart() {
      await local?.close();
      await build().resumeInterrupted();
    },
    async close() {
      await local?.close();
      await endpoint?.close();
    },
    current: () => local!,
  };
}

const subjects: Subject[] = [
  (() => {
    const world = localWorld();
    let pipelines: Pipelines;
    return {
      name: 'LocalStepFunctions',
      open: async (dataDir: string, w: World) => {
        await world.open(dataDir, w);
        // Always the current runner, so a test's handle survives a restart.
        pipelines = new Proxy({} as Pipelines, {
          get: (_target, key) => {
            const current = world.current() as unknown as Record<string | symbol, unknown>;
            const value = current[key];
            return typeof value === 'function' ? value.bind(current) : value;
          },
        });
        return pipelines;
      },
      restart: world.restart,
      close: world.close,
    };
  })(),
  (() => {
    const world = localWorld();
    return {
      name: 'StepFunctionsPipelines (real SDK) on the local JSON endpoint',
      open: async (dataDir: string, w: World) => {
        const { url } = await world.open(dataDir, w);
        return new StepFunctionsPipelines({
          stateMachineArns: {
            engineering: localStateMachineArn('engineering'),
            devops: localStateMachineArn('devops'),
          },
          client: new SFNClient({
            endpoint: url,
            region: 'eu-west-1',
            credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
            maxAttempts: 1,
          }),
        });
      },
      restart: world.restart,
      close: world.close,
    };
  })(),
];

async function waitFor<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The pid a sleeper task wrote, once there is one (other than `not`). */
const pidIn = (pidFile: string, not = 0) =>
  waitFor(
    () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0),
    (pid) => pid > 0 && pid !== not,
  );

describe.each(subjects)('Pipelines contract: $name', (subject) => {
  let pipelines: Pipelines;
  let world: World;
  let dataDir: string;
  let name: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pipelines-contract-'));
    world = new World();
    pipelines = await subject.open(dataDir, world);
    name = `run-${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    await subject.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const finished = (runId: string, status: RunStatus = 'SUCCEEDED') =>
    waitFor(
      () => pipelines.describe(runId),
      (run: RunDescription) => run.status !== 'RUNNING',
    ).then((run) => {
      expect(run.status).toBe(status);
      return run;
    });
  const nextToken = (count = 1) =>
    waitFor(
      () => world.tokens,
      (tokens) => tokens.length >= count,
    ).then((t) => t[count - 1]!);
  const types = async (runId: string) => (await pipelines.history(runId)).map((e) => e.type);

  it('runs a Choice loop of Lambda invokes and describes the run', async () => {
    // Act
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 3, mode: 'loop', name: 'x' },
    });

    // Assess
    expect(run).toMatchObject({ pipeline: 'engineering', name, status: 'RUNNING' });
    const done = await finished(run.runId);
    expect(done).toMatchObject({ runId: run.runId, input: { count: 3, mode: 'loop', name: 'x' } });
    expect(done.output).toEqual({ done: { count: 3, mode: 'loop', name: 'x', prepared: { count: 0 } } });
    expect(done.stoppedAt).toBeDefined();
    expect(world.calls).toEqual({ prepare: 1, decrement: 3, finish: 1 });
  });

  it("keeps a history with AWS's event names, state names and data", async () => {
    // Prepare
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 1, mode: 'loop', name: 'x' },
    });
    await finished(run.runId);

    // Act
    const history = await pipelines.history(run.runId);

    // Assess
    expect(history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      ...['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited'],
      ...['ChoiceStateEntered', 'ChoiceStateExited'],
      ...['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited'],
      ...['ChoiceStateEntered', 'ChoiceStateExited'],
      ...['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited'],
      'ExecutionSucceeded',
    ]);
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
    expect(history[0]).toMatchObject({ input: JSON.stringify({ count: 1, mode: 'loop', name: 'x' }) });
    expect(history[1]).toMatchObject({ type: 'TaskStateEntered', stateName: 'Prepare' });
    expect(history.filter((e) => e.stateName).map((e) => e.stateName)).toEqual([
      'Prepare',
      'Prepare',
      'Route',
      'Route',
      'Loop',
      'Loop',
      'LoopDone',
      'LoopDone',
      'Finish',
      'Finish',
    ]);
    expect(JSON.parse(history[5]!.output!)).toMatchObject({ prepared: { count: 1 } });
  });

  it('lists runs of a pipeline newest first, filtered by name prefix and limited', async () => {
    // Prepare
    const prefix = `${name}-`;
    for (const suffix of ['a', 'b', 'c']) {
      await pipelines.start({
        pipeline: 'engineering',
        name: `${prefix}${suffix}`,
        input: { count: 0, mode: 'loop' },
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await pipelines.start({ pipeline: 'devops', name: `${prefix}devops`, input: { count: 0, mode: 'loop' } });
    await pipelines.start({
      pipeline: 'engineering',
      name: `other-${name}`,
      input: { count: 0, mode: 'loop' },
    });

    // Act
    const all = await pipelines.list('engineering', { namePrefix: prefix });
    const limited = await pipelines.list('engineering', { namePrefix: prefix, limit: 2 });

    // Assess
    expect(all.map((r) => r.name)).toEqual([`${prefix}c`, `${prefix}b`, `${prefix}a`]);
    expect(limited.map((r) => r.name)).toEqual([`${prefix}c`, `${prefix}b`]);
    expect(all[0]).toMatchObject({ pipeline: 'engineering' });
  });

  it('starts a name once: the same input gives the same run, another input RunAlreadyExistsError', async () => {
    // Prepare
    const input = { count: 0, mode: 'loop', name: 'x' };
    const first = await pipelines.start({ pipeline: 'engineering', name, input });
    await finished(first.runId);

    // Act
    const again = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { name: 'x', mode: 'loop', count: 0 },
    });
    const other = pipelines.start({ pipeline: 'engineering', name, input: { ...input, count: 1 } });

    // Assess
    expect(again.runId).toBe(first.runId);
    await expect(other).rejects.toBeInstanceOf(RunAlreadyExistsError);
    expect(world.calls.prepare).toBe(1);
  });

  it('throws RunNotFoundError for a run that does not exist', async () => {
    // Prepare
    const [missing] = (
      await pipelines.start({ pipeline: 'engineering', name, input: { mode: 'loop', count: 0 } })
    ).runId.split(name);

    // Act & Assess
    await expect(pipelines.describe(`${missing}nope`)).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(pipelines.history(`${missing}nope`)).rejects.toBeInstanceOf(RunNotFoundError);
  });

  it('completes a callback task with SendTaskSuccess and the real, unique token', async () => {
    // Prepare
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 0, mode: 'human', name: 'app' },
    });
    const other = await pipelines.start({
      pipeline: 'engineering',
      name: `${name}-2`,
      input: { count: 0, mode: 'human' },
    });
    const token = await nextToken(1);
    await nextToken(2);

    // Act
    await pipelines.sendTaskSuccess(token, { approved: true });

    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(new Set(world.tokens).size).toBe(2);
    const done = await finished(run.runId);
    expect(done.output).toMatchObject({ done: { answer: { approved: true } } });
    expect((await pipelines.describe(other.runId)).status).toBe('RUNNING');
    await pipelines.stop(other.runId);
  });

  it('refuses a token that was already used, or never issued, as invalid', async () => {
    // Prepare
    await pipelines.start({ pipeline: 'engineering', name, input: { count: 0, mode: 'human' } });
    const token = await nextToken();
    await pipelines.sendTaskSuccess(token, { approved: true });

    // Act
    const reused = pipelines.sendTaskSuccess(token, { approved: false });
    const unknown = pipelines.sendTaskHeartbeat('not-a-token');

    // Assess
    await expect(reused).rejects.toMatchObject({ name: 'TaskTokenError', reason: 'invalid' });
    await expect(unknown).rejects.toBeInstanceOf(TaskTokenError);
    await expect(unknown).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('takes SendTaskFailure to the Catch with its error and cause', async () => {
    // Prepare
    const run = await pipelines.start({ pipeline: 'engineering', name, input: { count: 0, mode: 'human' } });
    const token = await nextToken();

    // Act
    await pipelines.sendTaskFailure(token, 'Declined', 'Not today');

    // Assess
    const done = await finished(run.runId, 'FAILED');
    expect(done).toMatchObject({ error: 'Rejected', cause: 'The human said no' });
    const history = await pipelines.history(run.runId);
    expect(history.find((e) => e.type === 'TaskFailed')).toMatchObject({
      error: 'Declined',
      cause: 'Not today',
    });
    expect(history.map((e) => e.type)).toContain('FailStateEntered');
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: 'Rejected' });
  });

  it('fails a callback task without heartbeat after HeartbeatSeconds; the token is then timed_out', async () => {
    // Prepare
    const run = await pipelines.start({ pipeline: 'engineering', name, input: { count: 0, mode: 'human' } });
    const token = await nextToken();

    // Act
    await finished(run.runId, 'FAILED');

    // Assess
    const history = await pipelines.history(run.runId);
    expect(history.find((e) => e.type === 'TaskTimedOut')).toMatchObject({
      error: 'States.HeartbeatTimeout',
    });
    await expect(pipelines.sendTaskSuccess(token, {})).rejects.toMatchObject({ reason: 'timed_out' });
    await expect(pipelines.sendTaskHeartbeat(token)).rejects.toMatchObject({ reason: 'timed_out' });
  });

  it('keeps a callback task alive while heartbeats come in time', async () => {
    // Prepare
    const run = await pipelines.start({ pipeline: 'engineering', name, input: { count: 0, mode: 'human' } });
    const token = await nextToken();

    // Act: 3 s in all, past the 2 s heartbeat limit, with a heartbeat every second.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await pipelines.sendTaskHeartbeat(token);
    }
    await pipelines.sendTaskSuccess(token, { approved: true });

    // Assess
    await finished(run.runId);
  });

  it('hands a worker its token in the container environment; it reports back with the real SDK', async () => {
    // Act
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 0, mode: 'worker', task: 'reporter', pidFile: '-' },
    });

    // Assess
    const done = await finished(run.runId);
    expect(done.output).toMatchObject({ done: { worker: { pid: expect.any(Number) } } });
  });

  it('stops a run: the worker process it started is killed and the run is ABORTED', async () => {
    // Prepare
    const pidFile = join(dataDir, `${name}.pid`);
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 0, mode: 'worker', task: 'sleeper', pidFile },
    });
    const pid = await pidIn(pidFile);
    expect(isAlive(pid)).toBe(true);

    // Act
    await pipelines.stop(run.runId, 'operator said so');

    // Assess
    await waitFor(
      () => isAlive(pid),
      (isAlive) => !isAlive,
    );
    const stopped = await pipelines.describe(run.runId);
    expect(stopped).toMatchObject({ status: 'ABORTED' });
    expect(stopped.stoppedAt).toBeDefined();
    await waitFor(
      () => types(run.runId),
      (t) => t.at(-1) === 'ExecutionAborted',
    );
  });

  it('fails a worker task at once when its process exits without reporting', async () => {
    // Prepare
    const pidFile = join(dataDir, `${name}.pid`);
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 0, mode: 'worker', task: 'sleeper', pidFile },
    });
    const pid = await pidIn(pidFile);

    // Act
    process.kill(pid, 'SIGKILL');

    // Assess
    const done = await finished(run.runId, 'FAILED');
    expect(done.error).toBe('States.TaskFailed');
    expect(done.cause).toMatch(/sleeper exited/);
  });

  it('resumes a run after a restart without running a finished state again; the token still works', async () => {
    // Prepare: Prepare has run, AskHuman waits on its token when the "process" dies.
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 0, mode: 'human', name: 'x' },
    });
    const token = await nextToken();
    expect(world.calls).toEqual({ prepare: 1, ask: 1 });

    // Act
    await subject.restart();
    await pipelines.sendTaskSuccess(token, { approved: 'after restart' });

    // Assess
    const done = await finished(run.runId);
    expect(done.output).toMatchObject({ done: { answer: { approved: 'after restart' } } });
    expect(world.calls).toEqual({ prepare: 1, ask: 1, finish: 1 });
    const history = await types(run.runId);
    expect(history.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    expect(history.filter((t) => t === 'TaskStateEntered')).toHaveLength(3);
  });

  it('starts a worker again after a restart, since its process died with ours', async () => {
    // Prepare
    const pidFile = join(dataDir, `${name}.pid`);
    const run = await pipelines.start({
      pipeline: 'engineering',
      name,
      input: { count: 0, mode: 'worker', task: 'sleeper', pidFile },
    });
    const firstPid = await pidIn(pidFile);

    // Act
    await subject.restart();

    // Assess
    const secondPid = await pidIn(pidFile, firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(isAlive(secondPid)).toBe(true);
    expect(world.calls).toEqual({ prepare: 1 });
    await pipelines.stop(run.runId);
    await waitFor(
      () => isAlive(secondPid),
      (isAlive) => !isAlive,
    );
  });
});
