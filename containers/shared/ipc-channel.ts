import { TaskTokenError } from '../../lambdas/ports/pipelines.ts';
import type { RepositoryAccess, WorkerCallbacks } from './types.ts';

/**
 * Callbacks and token broker over Node's IPC channel, for running a worker locally as a child
 * process (`spawn(..., { stdio: [..., 'ipc'] })`, env `TASK_CALLBACKS=ipc`). The parent (the local
 * pipelines runner) answers each request; the token travels over the channel, never in env.
 *
 * worker -> parent: { id, type: 'token' | 'context' | 'heartbeat' | 'success' | 'failure', output?, error?, cause? }
 * parent -> worker: { id, ok: true, value? } | { id, ok: false, error: 'timed_out' | 'invalid' | <message> }
 * `token` answers `value: { token, cloneUrl }`; `context` the deployer's DeployContext (validated
 * by the caller).
 *
 * When the channel closes (the parent died, e.g. a kill -9 of the local stack) the task token
 * can no longer be used: every pending and later request fails with TaskTokenError('invalid'),
 * and `lost` fires, so the orphaned worker stops instead of working on for nobody. A restarted
 * runner starts the step again with a new token.
 */
export interface IpcRequest {
  id: number;
  type: 'token' | 'context' | 'heartbeat' | 'success' | 'failure';
  output?: unknown;
  error?: string;
  cause?: string;
}

export type IpcAnswer = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

export class IpcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpcError';
  }
}

export function ipcChannel(channel: NodeJS.Process = process): {
  callbacks: WorkerCallbacks;
  repositoryAccess: RepositoryAccess;
  /** The parent's answer to `context`, unvalidated. */
  context(): Promise<unknown>;
  /** Aborted (with a TaskTokenError) when the parent is gone. */
  lost: AbortSignal;
  close(): void;
} {
  const send = channel.send?.bind(channel);
  if (!send) throw new IpcError('TASK_CALLBACKS=ipc but the process has no IPC channel');
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const onMessage = (message: IpcAnswer) => {
    const waiting = pending.get(message?.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else if (message.error === 'timed_out' || message.error === 'invalid')
      waiting.reject(new TaskTokenError(message.error));
    else waiting.reject(new IpcError(message.error));
  };
  channel.on('message', onMessage);
  const lost = new AbortController();
  const onDisconnect = () => {
    const error = new TaskTokenError('invalid');
    lost.abort(error);
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  channel.once('disconnect', onDisconnect);
  const request = (body: Omit<IpcRequest, 'id'>) =>
    new Promise<unknown>((resolve, reject) => {
      if (lost.signal.aborted || channel.connected === false) {
        reject(new TaskTokenError('invalid'));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve, reject });
      // With a callback a closed channel is an answer here, not an 'error' event that kills the process.
      send({ id, ...body }, undefined, undefined, (error: Error | null) => {
        if (!error || !pending.delete(id)) return;
        reject(new TaskTokenError('invalid'));
      });
    });
  return {
    callbacks: {
      heartbeat: () => request({ type: 'heartbeat' }).then(() => undefined),
      success: (output) => request({ type: 'success', output }).then(() => undefined),
      failure: (error, cause) => request({ type: 'failure', error, cause }).then(() => undefined),
    },
    repositoryAccess: {
      token: () =>
        request({ type: 'token' }) as Promise<{ token: string; cloneUrl: string; knowledge?: string }>,
    },
    context: () => request({ type: 'context' }),
    lost: lost.signal,
    close() {
      channel.off('message', onMessage);
      channel.off('disconnect', onDisconnect);
      channel.disconnect?.();
    },
  };
}
