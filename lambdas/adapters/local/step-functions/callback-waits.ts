import type { JournalEntry } from './run-store.ts';
import { MAX_TIMER_SECONDS } from './task-states.ts';

export type WaitOutcome = Exclude<JournalEntry, { status: 'pending' }>;

export interface CallbackWait {
  token: string;
  runId: string;
  /** Journal key `<state name>#<visit>` of the task that waits. */
  key: string;
  heartbeatSeconds?: number;
  /** Killed when the wait times out; Step Functions would leave it running, but locally nobody else stops it. */
  kill?: () => void;
}

interface Entry {
  wait: CallbackWait;
  heartbeat?: NodeJS.Timeout;
  timeout?: NodeJS.Timeout;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

// Our TimeoutSeconds timer runs a little after the library's own, so the library's States.Timeout
// (which `States.TaskFailed` does not match, as in AWS) is what the state sees; ours only kills the token.
const TIMEOUT_GRACE_MS = 50;

/**
 * The tasks waiting for SendTaskSuccess/Failure, by token, with the heartbeat and timeout timers
 * Step Functions runs for them. `onSettled` records the outcome (the journal) before the waiting
 * state resumes, so a token's fate is on disk before anything else happens.
 */
export class CallbackWaits {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly onSettled: (wait: CallbackWait, outcome: WaitOutcome) => void) {}

  /** Starts waiting; the promise is the task's result (or its error, as the library reports one). */
  wait(wait: CallbackWait, timeoutSeconds: number | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const entry: Entry = { wait, resolve, reject };
      this.entries.set(wait.token, entry);
      this.armHeartbeat(entry);
      if (timeoutSeconds) {
        const ms = Math.min(timeoutSeconds, MAX_TIMER_SECONDS) * 1000 + TIMEOUT_GRACE_MS;
        entry.timeout = setTimeout(() => this.timeOut(wait.token, 'States.Timeout'), ms);
      }
    });
  }

  get(token: string): CallbackWait | undefined {
    return this.entries.get(token)?.wait;
  }

  has(token: string): boolean {
    return this.entries.has(token);
  }

  /** Restarts the heartbeat clock; false when nothing waits on the token. */
  heartbeat(token: string): boolean {
    const entry = this.entries.get(token);
    if (!entry) return false;
    this.armHeartbeat(entry);
    return true;
  }

  /** Ends a wait with its outcome; false when nothing waits on the token (any more). */
  settle(token: string, outcome: WaitOutcome): boolean {
    const entry = this.take(token);
    if (!entry) return false;
    this.onSettled(entry.wait, outcome);
    if (outcome.status === 'succeeded') entry.resolve(outcome.result);
    else entry.reject(stateError(outcome.error, outcome.cause));
    return true;
  }

  /** Forgets a wait whose run is over, recording nothing (its token stays as the journal has it). */
  drop(token: string): void {
    // Nobody awaits the promise any more; reject it so nothing hangs on it.
    this.take(token)?.reject(stateError('States.Aborted', 'The run ended'));
  }

  private take(token: string): Entry | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    clearTimeout(entry.heartbeat);
    clearTimeout(entry.timeout);
    return entry;
  }

  private armHeartbeat(entry: Entry): void {
    const seconds = entry.wait.heartbeatSeconds;
    if (!seconds) return;
    clearTimeout(entry.heartbeat);
    entry.heartbeat = setTimeout(
      () => this.timeOut(entry.wait.token, 'States.HeartbeatTimeout'),
      Math.min(seconds, MAX_TIMER_SECONDS) * 1000,
    );
  }

  private timeOut(token: string, error: string): void {
    this.entries.get(token)?.wait.kill?.();
    this.settle(token, {
      status: 'failed',
      error,
      cause: `${error} waiting for the task token`,
      timedOut: true,
    });
  }
}

/** An error as the library reports it in Catch: `name` is the Error, `message` the Cause. */
export function stateError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}
