import './step-functions/polyfill.ts';
import { randomBytes } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type StateMachine,
} from 'aws-local-stepfunctions';
import {
  type PipelineName,
  type Pipelines,
  RUN_NAME,
  RunAlreadyExistsError,
  type RunDescription,
  type RunHistoryEvent,
  RunNotFoundError,
  type RunSummary,
  type StartRunRequest,
  TaskTokenError,
} from '../../ports/pipelines.ts';
import {
  type CallbackWait,
  CallbackWaits,
  stateError,
  type WaitOutcome,
} from './step-functions/callback-waits.ts';
import { type LibraryEvent, mapLibraryEvent } from './step-functions/history-events.ts';
import {
  killLeftoverTask,
  type LocalTaskHandle,
  type LocalTaskLauncher,
} from './step-functions/process-task.ts';
import {
  type JournalEntry,
  localExecutionArn,
  localStateMachineArn,
  type RunRecord,
  RunStore,
} from './step-functions/run-store.ts';
import { sameJson } from './step-functions/same-json.ts';
import { handleSfnJsonRequest, type SfnJsonReply } from './step-functions/sfn-json-protocol.ts';
import { stateMachineFor } from './step-functions/state-machines.ts';
import {
  clampTimeouts,
  containerEnvironment,
  localName,
  matchHeartbeatAsTimeout,
  planTaskStates,
  replaceToken,
  type TaskStatePlan,
} from './step-functions/task-states.ts';

/** A Lambda function run in-process: the `Payload` in, the function's result out. */
export type LocalLambda = (payload: unknown) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  dataDir: string;
  /** The same ASL files as in AWS, parsed after the local substitutions (short function names). */
  definitions: Record<PipelineName, { definition: object }>;
  /** By `Parameters.FunctionName` of `lambda:invoke` states. */
  lambdas: Record<string, LocalLambda>;
  /** By `Parameters.TaskDefinition` of `ecs:runTask.waitForTaskToken` states. */
  tasks: Record<string, LocalTaskLauncher>;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

// `$$.Task.Token` comes only from the static context the library is given: pass this and swap it
// for a fresh token in each task's input.
const TOKEN_PLACEHOLDER = '__local-sfn-task-token__';
// A replay answers finished tasks from the journal at once: it reaches a pending task in moments.
const REPLAY_WAIT_MS = 5000;

interface LiveRun {
  abort(): void;
  children: Set<LocalTaskHandle>;
  /** Tokens of the run's tasks that wait for a callback. */
  tokens: Set<string>;
}

/**
 * Pipelines port locally: the ASL definitions run by aws-local-stepfunctions, plus what Step
 * Functions gives and the library lacks: Task states dispatched by resource, real task tokens,
 * heartbeats, history with AWS's event names, stop that kills workers, and runs that survive a
 * restart of the process (`resumeInterrupted`). One instance per dataDir.
 */
export class LocalStepFunctions implements Pipelines {
  private readonly machines = new Map<
    PipelineName,
    { machine: StateMachine; plans: Map<string, TaskStatePlan> }
  >();
  private readonly store: RunStore;
  private readonly runs = new Map<string, RunRecord>();
  private readonly tokens = new Map<string, { runId: string; key: string }>();
  private readonly live = new Map<string, LiveRun>();
  private readonly waits = new CallbackWaits((wait, outcome) =>
    this.journal(this.runs.get(wait.runId)!, wait.key, { ...outcome, token: wait.token }),
  );
  private readonly now: () => number;
  private readonly log: NonNullable<LocalStepFunctionsOptions['log']>;
  private seq = 0;
  private closed = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    for (const [pipeline, { definition }] of Object.entries(options.definitions)) {
      const plans = planTaskStates(definition);
      for (const plan of plans.values()) this.checkTarget(pipeline, plan);
      const machine = stateMachineFor(clampTimeouts(matchHeartbeatAsTimeout(definition)));
      this.machines.set(pipeline as PipelineName, { machine, plans });
    }
    this.store = new RunStore(options.dataDir);
    for (const record of this.store.loadAll()) {
      this.runs.set(record.runId, record);
      this.seq = Math.max(this.seq, record.seq);
      for (const [key, entry] of Object.entries(record.journal)) {
        if (entry.token) this.tokens.set(entry.token, { runId: record.runId, key });
      }
    }
  }

  async start(request: StartRunRequest): Promise<RunSummary> {
    if (!this.machines.has(request.pipeline)) throw new Error(`Unknown pipeline ${request.pipeline}`);
    if (!RUN_NAME.test(request.name)) throw new TypeError(`Invalid run name ${request.name}`);
    const runId = localExecutionArn(request.pipeline, request.name);
    const existing = this.runs.get(runId);
    if (existing) {
      if (!sameJson(existing.input, request.input)) throw new RunAlreadyExistsError(request.name);
      return summaryOf(existing);
    }
    const record: RunRecord = {
      v: 1,
      seq: ++this.seq,
      runId,
      pipeline: request.pipeline,
      name: request.name,
      status: 'RUNNING',
      startedAt: new Date(this.now()).toISOString(),
      input: structuredClone(request.input),
      history: [],
      libraryEvents: 0,
      journal: {},
    };
    this.runs.set(runId, record);
    this.save(record);
    this.launch(record);
    return summaryOf(record);
  }

  async describe(runId: string): Promise<RunDescription> {
    const {
      v: _v,
      seq: _s,
      history: _h,
      libraryEvents: _l,
      journal: _j,
      ...description
    } = this.record(runId);
    return structuredClone(description);
  }

  async list(pipeline: PipelineName, options: { namePrefix?: string; limit?: number } = {}) {
    const runs = [...this.runs.values()]
      .filter((r) => r.pipeline === pipeline && r.name.startsWith(options.namePrefix ?? ''))
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.seq - a.seq);
    return runs.slice(0, options.limit ?? runs.length).map(summaryOf);
  }

  async history(runId: string): Promise<RunHistoryEvent[]> {
    return structuredClone(this.record(runId).history);
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.settleWait(taskToken, { status: 'succeeded', result: output ?? null });
  }

  async sendTaskFailure(taskToken: string, error: string, cause = ''): Promise<void> {
    await this.settleWait(taskToken, { status: 'failed', error, cause });
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    await this.waiting(taskToken);
    this.waits.heartbeat(taskToken);
  }

  async stop(runId: string, cause?: string): Promise<void> {
    const record = this.record(runId);
    if (record.status !== 'RUNNING') return;
    record.status = 'ABORTED';
    record.stoppedAt = new Date(this.now()).toISOString();
    if (cause !== undefined) record.cause = cause;
    this.save(record);
    this.detach(runId);
  }

  /** Restarts every run a previous process left RUNNING; finished tasks answer from the journal. */
  async resumeInterrupted(): Promise<string[]> {
    const resumed: string[] = [];
    for (const record of this.runs.values()) {
      if (record.status !== 'RUNNING' || this.live.has(record.runId)) continue;
      this.log('resuming interrupted run', { runId: record.runId });
      this.launch(record);
      resumed.push(record.runId);
    }
    return resumed;
  }

  /** AWS JSON 1.0 (`X-Amz-Target: AWSStepFunctions.<Operation>`) for workers using the real SDK. */
  handleSfnJsonRequest(target: string, body: unknown): Promise<SfnJsonReply> {
    return handleSfnJsonRequest(this, target, body);
  }

  /**
   * Stops this instance as a dying process would: executions and children end, nothing more is
   * written, so a new instance on the same dataDir finds the runs RUNNING and resumes them.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const runId of [...this.live.keys()]) this.detach(runId);
  }

  private launch(record: RunRecord): void {
    const { machine, plans } = this.machines.get(record.pipeline)!;
    const visits = new Map<string, number>();
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const plan of plans.values()) {
      handlers[plan.stateName] = (input) => {
        const visit = (visits.get(plan.stateName) ?? 0) + 1;
        visits.set(plan.stateName, visit);
        return this.runTask(record, plan, `${plan.stateName}#${visit}`, input);
      };
    }
    // Registered before run(): the library calls the first state's override synchronously.
    const liveRun: LiveRun = { abort: () => undefined, children: new Set(), tokens: new Set() };
    this.live.set(record.runId, liveRun);
    const execution = machine.run(record.input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: { Id: record.runId, Name: record.name },
        StateMachine: { Id: localStateMachineArn(record.pipeline), Name: record.pipeline },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    liveRun.abort = execution.abort;
    const events = this.recordEvents(record, execution.eventLogs as AsyncGenerator<LibraryEvent>);
    void Promise.allSettled([execution.result, events]).then(([result]) => {
      if (this.live.get(record.runId) === liveRun) this.detach(record.runId);
      if (this.closed || record.status !== 'RUNNING') return;
      record.stoppedAt = new Date(this.now()).toISOString();
      if (result.status === 'fulfilled') {
        record.status = 'SUCCEEDED';
        record.output = result.value;
      } else if (result.reason instanceof ExecutionTimeoutError) {
        record.status = 'TIMED_OUT';
        record.error = 'States.Timeout';
      } else if (result.reason instanceof ExecutionAbortedError) {
        record.status = 'ABORTED';
      } else {
        const cause = result.reason instanceof ExecutionError ? result.reason.cause : result.reason;
        record.status = 'FAILED';
        record.error = cause instanceof Error ? cause.name : 'States.Runtime';
        record.cause = cause instanceof Error ? cause.message : String(cause);
      }
      this.save(record);
    });
  }

  /** Maps and persists the library's events; a resumed replay skips those recorded before. */
  private async recordEvents(record: RunRecord, events: AsyncGenerator<LibraryEvent>): Promise<void> {
    const skip = record.libraryEvents;
    let seen = 0;
    // The library also reports a caught state as exited (with its Catch's output) after
    // StateCaught; AWS writes one exited event and no success. Tracked over skipped events too, so
    // a resumed replay maps the same way.
    const caught = new Set<string>();
    for await (const event of events) {
      seen++;
      const name = event.state?.name;
      const leftThroughCatch = event.type === 'StateExited' && name !== undefined && caught.delete(name);
      if (event.type === 'StateCaught' && name !== undefined) caught.add(name);
      if (event.type === 'StateEntered' && name !== undefined) caught.delete(name);
      if (seen <= skip || this.closed || leftThroughCatch) {
        if (seen > skip && !this.closed) {
          record.libraryEvents = seen;
          this.save(record);
        }
        continue;
      }
      for (const mapped of mapLibraryEvent(event)) {
        const id = record.history.length + 1;
        record.history.push({
          id,
          ...(id > 1 ? { previousEventId: id - 1 } : {}),
          timestamp: new Date(this.now()).toISOString(),
          ...mapped,
        });
      }
      record.libraryEvents = seen;
      this.save(record);
    }
  }

  private async runTask(
    record: RunRecord,
    plan: TaskStatePlan,
    key: string,
    input: unknown,
  ): Promise<unknown> {
    const done = record.journal[key];
    if (done?.status === 'succeeded') return done.result;
    if (done?.status === 'failed') throw stateError(done.error, done.cause);
    if (plan.kind === 'lambda') return this.invokeLambda(record, key, input);
    return this.startCallback(record, plan, key, input, done);
  }

  private async invokeLambda(record: RunRecord, key: string, input: unknown): Promise<unknown> {
    const { FunctionName, Payload } = input as { FunctionName?: string; Payload?: unknown };
    let result: unknown;
    try {
      result = { Payload: await this.lambda(FunctionName)(Payload ?? {}), StatusCode: 200 };
    } catch (error) {
      // As the Lambda integration reports a function error: its type, and the error as JSON.
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      const cause = JSON.stringify({ errorType: name, errorMessage: message });
      this.journal(record, key, { status: 'failed', error: name, cause });
      throw stateError(name, cause);
    }
    this.journal(record, key, { status: 'succeeded', result });
    return result;
  }

  private startCallback(
    record: RunRecord,
    plan: TaskStatePlan,
    key: string,
    rawInput: unknown,
    previous: JournalEntry | undefined,
  ): Promise<unknown> {
    // A worker task started again after a restart gets a new token, as a redrive does in AWS: the
    // one it was given before dies with it, so a worker left behind cannot report into this run.
    // A human wait keeps its token: the button already sent must still work.
    const restartsWorker = plan.kind === 'ecs-callback' && previous?.status === 'pending';
    const token = (!restartsWorker && previous?.token) || randomBytes(48).toString('base64url');
    const input = replaceToken(rawInput, TOKEN_PLACEHOLDER, token) as Record<string, unknown>;
    const invoked = previous?.status === 'pending' && previous.invoked === true;
    this.tokens.set(token, { runId: record.runId, key });
    this.journal(record, key, { status: 'pending', token, invoked });
    const liveRun = this.live.get(record.runId);
    // A stopped run can still reach the next override while its abort settles: start nothing.
    if (!liveRun) return Promise.reject(stateError('States.Aborted', 'The run was stopped'));
    const wait: CallbackWait = {
      token,
      runId: record.runId,
      key,
      ...(plan.heartbeatSeconds ? { heartbeatSeconds: plan.heartbeatSeconds } : {}),
    };
    liveRun.tokens.add(token);
    const result = this.waits.wait(wait, plan.timeoutSeconds);
    if (plan.kind === 'ecs-callback') {
      if (previous?.status === 'pending' && previous.pid && killLeftoverTask(previous.pid)) {
        this.log('killed the worker a previous runner left behind', { pid: previous.pid, key });
      }
      this.launchTask(wait, liveRun, input, record);
    } else if (!invoked) {
      // Invoked once: after a restart the message (with its button) was already sent.
      Promise.resolve()
        .then(() => this.lambda(input.FunctionName as string)(input.Payload ?? {}))
        .then(
          () =>
            this.waits.has(token) && this.journal(record, key, { status: 'pending', token, invoked: true }),
          (error: unknown) => {
            const name = error instanceof Error ? error.name : 'Error';
            const cause = error instanceof Error ? error.message : String(error);
            this.waits.settle(token, { status: 'failed', error: name, cause });
          },
        );
    }
    return result;
  }

  private launchTask(
    wait: CallbackWait,
    liveRun: LiveRun,
    input: Record<string, unknown>,
    record: RunRecord,
  ): void {
    const family = localName(String(input.TaskDefinition));
    const launcher = this.options.tasks[family];
    if (!launcher) {
      this.waits.settle(wait.token, {
        status: 'failed',
        error: 'States.TaskFailed',
        cause: `No local task ${family}`,
      });
      return;
    }
    const child = launcher({
      environment: containerEnvironment(input),
      ...(typeof input.StartedBy === 'string' ? { startedBy: input.StartedBy } : {}),
    });
    wait.kill = () => child.kill();
    liveRun.children.add(child);
    void Promise.resolve(child.pid).then(
      (pid) => {
        if (pid && this.waits.get(wait.token) === wait) {
          this.journal(record, wait.key, { status: 'pending', token: wait.token, pid });
        }
      },
      () => undefined, // a launch that failed shows as its exit
    );
    void child.exited.then((code) => {
      liveRun.children.delete(child);
      // In AWS a task that stops without calling back is noticed only at the heartbeat or the
      // timeout; locally we see the exit, so fail at once and say why.
      if (this.closed || this.waits.get(wait.token) !== wait) return;
      this.waits.settle(wait.token, {
        status: 'failed',
        error: 'States.TaskFailed',
        cause: `Task ${family} exited with code ${code} before sending a task success or failure`,
      });
    });
  }

  private async settleWait(token: string, outcome: WaitOutcome): Promise<void> {
    await this.waiting(token);
    // Settled meanwhile (a timer, a concurrent call): answer as a later call would.
    if (!this.waits.settle(token, outcome)) throw this.deadToken(token);
  }

  /** Returns when a task waits on the token, or throws why the token cannot be used. */
  private async waiting(token: string): Promise<void> {
    if (this.waits.has(token) || (await this.replayReaching(token))) return;
    throw this.deadToken(token);
  }

  private deadToken(token: string): TaskTokenError {
    const known = this.tokens.get(token);
    const entry = known ? this.runs.get(known.runId)?.journal[known.key] : undefined;
    if (entry?.status === 'failed' && entry.timedOut) return new TaskTokenError('timed_out');
    // A token whose run timed out while it waited.
    if (entry?.status === 'pending' && this.runs.get(known!.runId)?.status === 'TIMED_OUT') {
      return new TaskTokenError('timed_out');
    }
    return new TaskTokenError('invalid');
  }

  /**
   * Right after a restart a resumed run is still replaying towards the task that owns a journaled
   * token; in AWS that token never stopped working, so wait for the replay to reach it.
   */
  private async replayReaching(token: string): Promise<boolean> {
    const known = this.tokens.get(token);
    if (!known) return false;
    // Still this token's task: one started again with a new token (a worker's, see startCallback)
    // never takes the old one back.
    const current = () => {
      const entry = this.runs.get(known.runId)?.journal[known.key];
      return entry?.status === 'pending' && entry.token === token && this.live.has(known.runId);
    };
    const deadline = performance.now() + REPLAY_WAIT_MS;
    while (!this.waits.has(token) && current() && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.waits.has(token);
  }

  /** Ends a run's in-memory life: the execution, its timers and tokens, its child processes. */
  private detach(runId: string): void {
    const liveRun = this.live.get(runId);
    if (!liveRun) return;
    this.live.delete(runId);
    for (const token of liveRun.tokens) this.waits.drop(token);
    // The library's abort() does not reach overrides; kill what the run started ourselves.
    for (const child of liveRun.children) child.kill();
    liveRun.abort();
  }

  /** A function or task family named in the definition itself must exist before any run starts. */
  private checkTarget(pipeline: string, plan: TaskStatePlan): void {
    if (plan.target === undefined) return;
    const known = plan.kind === 'ecs-callback' ? this.options.tasks : this.options.lambdas;
    if (!known[plan.target]) {
      const what = plan.kind === 'ecs-callback' ? 'task' : 'Lambda function';
      throw new Error(
        `Task state "${plan.stateName}" of ${pipeline} calls ${plan.target}: no local ${what} of that name`,
      );
    }
  }

  private lambda(name: string | undefined): LocalLambda {
    const fn = name === undefined ? undefined : this.options.lambdas[localName(name)];
    if (!fn) throw stateError('Lambda.ResourceNotFoundException', `No local Lambda function ${name}`);
    return fn;
  }

  private journal(record: RunRecord, key: string, entry: JournalEntry): void {
    record.journal[key] = entry;
    this.save(record);
  }

  private record(runId: string): RunRecord {
    const record = this.runs.get(runId);
    if (!record) throw new RunNotFoundError(runId);
    return record;
  }

  private save(record: RunRecord): void {
    // A closed instance stands for a dead process: it must not write what happened after death.
    if (this.closed) return;
    try {
      this.store.save(record);
    } catch (error) {
      this.log('could not persist run', { runId: record.runId, error: String(error) });
      throw error;
    }
  }
}

function summaryOf(record: RunRecord): RunSummary {
  return {
    runId: record.runId,
    pipeline: record.pipeline,
    name: record.name,
    status: record.status,
    startedAt: record.startedAt,
    ...(record.stoppedAt ? { stoppedAt: record.stoppedAt } : {}),
  };
}

export type { LocalTaskHandle, LocalTaskLauncher, LocalTaskRequest } from './step-functions/process-task.ts';
export { processTaskLauncher } from './step-functions/process-task.ts';
export { localExecutionArn, localStateMachineArn } from './step-functions/run-store.ts';
export type { SfnEndpoint } from './step-functions/sfn-endpoint.ts';
export { startSfnEndpoint } from './step-functions/sfn-endpoint.ts';
