/**
 * What both workers (coding, tester) are given. Everything with a side effect is injected, so
 * tests drive a worker with fakes and main.ts wires the real things.
 */
export interface Logger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface Clock {
  now(): Date;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  },
};

/**
 * A token broker client: a short-lived token for the job's one repository. The token never comes
 * from the environment or the task's overrides (both are visible in ECS's API and logs).
 */
export interface RepositoryAccess {
  /** A fresh token each call (tokens last about an hour; a long run asks again before pushing). */
  token(): Promise<{ token: string; cloneUrl: string; knowledge?: string }>;
}

/** The task-token callbacks of the Step Functions task running this worker, token already bound. */
export interface WorkerCallbacks {
  /** @throws TaskTokenError when the task timed out or the token is invalid: stop working. */
  heartbeat(): Promise<void>;
  success(output: unknown): Promise<void>;
  failure(error: string, cause: string): Promise<void>;
}

/** How a worker run ended: reported success, reported failure, or stopped (token dead, aborted). */
export type WorkerExit = 'succeeded' | 'failed' | 'stopped';
