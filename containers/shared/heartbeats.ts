import { TaskTokenError } from '../../lambdas/ports/pipelines.ts';
import type { Clock, Logger, WorkerCallbacks } from './types.ts';

/**
 * Sends a heartbeat every `intervalMs` while work runs. Step Functions does not stop an ECS task
 * whose task timed out, so a heartbeat answered `timed_out` / `invalid` is the worker's signal to
 * stop: `controller` is aborted with the TaskTokenError. Other heartbeat errors (network) are
 * logged and retried at the next beat.
 */
export function startHeartbeats(options: {
  callbacks: WorkerCallbacks;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  controller: AbortController;
}): () => void {
  const { callbacks, clock, logger, intervalMs, controller } = options;
  let inFlight = false;
  const stop = clock.every(intervalMs, () => {
    if (inFlight || controller.signal.aborted) return;
    inFlight = true;
    callbacks
      .heartbeat()
      .catch((error: unknown) => {
        if (error instanceof TaskTokenError) {
          logger.warn('Heartbeat refused: stopping', { reason: error.reason });
          controller.abort(error);
        } else {
          logger.warn('Heartbeat failed, will retry', { error: String(error) });
        }
      })
      .finally(() => {
        inFlight = false;
      });
  });
  return stop;
}
