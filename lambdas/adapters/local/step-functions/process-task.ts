import { spawn } from 'node:child_process';

/** What the ECS integration would pass to a container, taken from the state's Parameters. */
export interface LocalTaskRequest {
  /** `Overrides.ContainerOverrides[0].Environment`, the task token among them. */
  environment: Record<string, string>;
  startedBy?: string;
}

export interface LocalTaskHandle {
  /** Its process (group) id, journaled so a resumed runner can kill a worker it left behind. */
  pid?: number | Promise<number | undefined>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(): void;
}

/** Starts one task of a task definition family: locally, a child process. */
export type LocalTaskLauncher = (request: LocalTaskRequest) => LocalTaskHandle;

export interface ProcessTaskOptions {
  command: string;
  args?: string[];
  cwd?: string;
  /** Added to this process's environment; the container overrides come on top. */
  env?: Record<string, string>;
  /** Grace period between SIGTERM and SIGKILL. */
  killAfterMs?: number;
}

/**
 * A launcher that runs the worker's entry point as a child process, e.g.
 * `{ command: 'node', args: ['--import', 'tsx', 'containers/coding-worker/src/main.ts'] }`.
 * The child leads its own process group so a kill reaches whatever it started too.
 */
export function processTaskLauncher(options: ProcessTaskOptions): LocalTaskLauncher {
  return (request) => {
    const child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ...request.environment },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(-1));
    });
    const signal = (name: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, name);
      } catch {
        // Already gone.
      }
    };
    return {
      ...(child.pid ? { pid: child.pid } : {}),
      exited,
      kill: () => {
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), options.killAfterMs ?? 3000);
        timer.unref();
        void exited.then(() => clearTimeout(timer));
      },
    };
  };
}

/**
 * Kills a worker a killed runner left behind (its process group), before a resumed run starts it
 * again: two workers on one token would both push work. Group ids are only reused once the whole
 * group is gone, so an unrelated process is very unlikely to be hit.
 */
export function killLeftoverTask(pid: number): boolean {
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
