import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IpcRequest } from './ipc-channel.ts';

/**
 * Runs a worker's main.ts as a local child process (what the local pipelines runner does instead
 * of ECS RunTask): `node --import tsx <entry>` with JOB in env, `TASK_CALLBACKS=ipc`, and the
 * parent answering token, heartbeat, success and failure requests over the IPC channel. The token
 * reaches the child only as an IPC answer, never in its environment.
 */
export const WORKER_ENTRIES = {
  coding: fileURLToPath(new URL('../coding-worker/src/main.ts', import.meta.url)),
  tester: fileURLToPath(new URL('../tester/src/main.ts', import.meta.url)),
  deployer: fileURLToPath(new URL('../deployer/src/main.ts', import.meta.url)),
} as const;

export interface LocalWorkerHandlers {
  /** The coding worker's and tester's repository token (the deployer's comes with its context). */
  token?(): Promise<{ token: string; cloneUrl: string; knowledge?: string }>;
  /** The deployer's DeployContext (token, clone URL, .env, server); the child validates it. */
  context?(): Promise<unknown>;
  /** Throw `new Error('timed_out')` or `new Error('invalid')` to refuse the heartbeat. */
  heartbeat(): Promise<void>;
  success(output: unknown): Promise<void>;
  failure(error: string, cause: string): Promise<void>;
}

export interface LocalWorkerRun {
  pid: number | undefined;
  /** Resolves with the exit code (see EXIT_CODES in main-support.ts). */
  exited: Promise<number | null>;
  output(): string;
  kill(signal?: NodeJS.Signals): void;
}

export function runLocalWorker(options: {
  worker: keyof typeof WORKER_ENTRIES;
  job: unknown;
  /** The child's whole environment besides JOB and TASK_CALLBACKS (e.g. PATH, HOME, CODING_ENGINE). */
  env: Record<string, string>;
  handlers: LocalWorkerHandlers;
}): LocalWorkerRun {
  // Its own process group, as an ECS task is its own machine: a kill reaches what the worker
  // started too (Claude Code, git, npm test), and a runner killed with SIGKILL can kill the group
  // it left behind when it resumes (the pid is in its journal).
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRIES[options.worker]], {
    env: { ...options.env, JOB: JSON.stringify(options.job), TASK_CALLBACKS: 'ipc' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  child.on('message', async (message: IpcRequest) => {
    const answer = (body: { ok: true; value?: unknown } | { ok: false; error: string }) => {
      if (child.connected) child.send({ id: message.id, ...body });
    };
    try {
      const { handlers } = options;
      if (message.type === 'token' || message.type === 'context') {
        const handler = handlers[message.type];
        if (!handler) throw new Error(`No ${message.type} handler for this worker`);
        answer({ ok: true, value: await handler() });
      } else if (message.type === 'heartbeat') answer({ ok: true, value: await handlers.heartbeat() });
      else if (message.type === 'success')
        answer({ ok: true, value: await handlers.success(message.output) });
      else answer({ ok: true, value: await handlers.failure(message.error ?? '', message.cause ?? '') });
    } catch (error) {
      answer({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  return {
    pid: child.pid,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    output: () => output,
    kill: (signal = 'SIGTERM') => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal); // the group is gone; the child may not be
      }
    },
  };
}
