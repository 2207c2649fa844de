import type { WorkerCallbacks } from '../../containers/shared/types.ts';
import { TaskTokenError } from '../../lambdas/ports/pipelines.ts';

/** Callbacks that record what a worker reports; heartbeats answer as `answerHeartbeat` says. */
export function recordingCallbacks(
  answerHeartbeat: (count: number) => 'ok' | 'timed_out' | 'invalid' = () => 'ok',
) {
  const calls = {
    heartbeats: 0,
    successes: [] as unknown[],
    failures: [] as { error: string; cause: string }[],
  };
  const callbacks: WorkerCallbacks = {
    async heartbeat() {
      calls.heartbeats++;
      const answer = answerHeartbeat(calls.heartbeats);
      if (answer !== 'ok') throw new TaskTokenError(answer);
    },
    async success(output) {
      calls.successes.push(output);
    },
    async failure(error, cause) {
      calls.failures.push({ error, cause });
    },
  };
  return { callbacks, calls };
}

export const silentLogger = { info() {}, warn() {}, error() {} };

/** A token broker that hands out a new token per call and remembers them. */
export function fakeBroker(cloneUrl: string, knowledge?: string) {
  const issued: string[] = [];
  return {
    issued,
    repositoryAccess: {
      async token() {
        const token = `ghs_fake_${issued.length + 1}_${'x'.repeat(20)}`;
        issued.push(token);
        return { token, cloneUrl, ...(knowledge ? { knowledge } : {}) };
      },
    },
  };
}
