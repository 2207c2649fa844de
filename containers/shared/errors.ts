import { TaskTokenError } from '../../lambdas/ports/pipelines.ts';

/** The job in JOB is missing or malformed. */
export class InvalidJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobError';
  }
}

/**
 * The `error` a worker reports with SendTaskFailure: the error's own name when it is one of ours
 * (CodingEngineError, GitError, InvalidJobError, TokenBrokerError, ...), so the state machine can
 * Catch or Retry by name; `WorkerError` otherwise. At most 256 characters, as Step Functions allows.
 */
export function failureName(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  return (
    /^[A-Za-z][A-Za-z0-9.]*Error$/.test(name) && name !== 'Error' && name !== 'TypeError'
      ? name
      : 'WorkerError'
  ).slice(0, 256);
}

/** The cause, with every secret the worker holds replaced, cut to Step Functions' 32,768 limit. */
export function failureCause(error: unknown, secrets: string[]): string {
  let text = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) if (secret) text = text.split(secret).join('***');
  return text.slice(0, 32_768);
}

/** The run was stopped from outside: the task token is dead, so nothing more can be reported. */
export function isStop(error: unknown): boolean {
  return error instanceof TaskTokenError;
}
