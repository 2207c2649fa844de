import { spawn } from 'node:child_process';

/**
 * Runs a project's command (npm test, npm run lint) the way CI would: its own process group
 * (so a timeout or an abort also ends servers the tests started), an environment with nothing of
 * the worker's secrets, and only the tail of the output kept for the report.
 */
export interface CommandResult {
  exitCode: number | null;
  /** Set when the command was killed for running too long. */
  timedOut: boolean;
  outputTail: string;
}

export interface RunCommandOptions {
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The whole environment of the command. */
  env: Record<string, string>;
  tailChars?: number;
}

const PROJECT_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR'];

/** What the project's commands get from the worker's environment: nothing but the basics. */
export function projectEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { CI: 'true', NO_COLOR: '1', npm_config_update_notifier: 'false' };
  for (const name of PROJECT_ENV) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export function runCommand(
  command: string,
  args: string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const tailChars = options.tailChars ?? 4_000;
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-tailChars);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    let timedOut = false;
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      if (options.signal?.aborted) reject(options.signal.reason);
      else resolve({ exitCode, timedOut, outputTail: output });
    });
  });
}
