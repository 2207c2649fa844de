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
  const request = (body: Omit<IpcRequest, 'id'>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      send({ id, ...body });
    });
  return {
    callbacks: {
      heartbeat: () => request({ type: 'heartbeat' }).then(() => undefined),
      success: (output) => request({ type: 'success', output }).then(() => undefined),
      failure: (error, cause) => request({ type: 'failure', error, cause }).then(() => undefined),
    },
    repositoryAccess: {
      token: () => request({ type: 'token' }) as Promise<{ token: string; cloneUrl: string }>,
    },
    context: () => request({ type: 'context' }),
    close() {
      channel.off('message', onMessage);
      channel.disconnect?.();
    },
  };
}
