import { TurnPausedError } from './turn.ts';

/**
 * Kept back from a model call when the invocation has a deadline: after the call the turn still
 * checkpoints and gives its lease back, which a worker killed at its timeout could not do.
 */
export const DEADLINE_MARGIN_MS = 5_000;

/**
 * Runs a model call under an abort signal that fires before the invocation's deadline. The
 * adapters pass the signal to every attempt and stop retrying when it fires, so retries never
 * outlive the worker. A call cut off this way pauses the turn: everything before it is
 * checkpointed, and the redelivered message makes the call again with a fresh deadline.
 */
export async function beforeDeadline<T>(
  remainingMs: number | undefined,
  call: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (remainingMs === undefined) return call(undefined);
  const signal = AbortSignal.timeout(Math.max(remainingMs - DEADLINE_MARGIN_MS, 0));
  try {
    return await call(signal);
  } catch (error) {
    if (signal.aborted) throw new TurnPausedError();
    throw error;
  }
}
