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
  /**
   * End the command (and its process group) when this process dies, even by SIGKILL. Without
   * it a detached command outlives its worker: an orphaned `ansible-playbook` would go on
   * switching a release nobody reports. The command then runs under a small node watchdog.
   */
  tetherToParent?: boolean;
}

/**
 * The watchdog: runs the command in its own (the watchdog's) process group and kills the whole
 * group when stdin ends. The worker holds the other end of that pipe and never writes to it, so
 * EOF means the worker is gone; the kernel closes the pipe even after a SIGKILL.
 */
const TETHER = `const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const killGroup = () => process.kill(0, 'SIGKILL');
process.stdin.on('end', killGroup);
process.stdin.on('error', killGroup);
process.stdin.resume();
child.on('error', (error) => { process.stderr.write(error.message + '\\n'); process.exit(127); });
child.on('exit', (code) => process.exit(code ?? 128));
`;

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
    const tethered = options.tetherToParent === true;
    const child = spawn(
      tethered ? process.execPath : command,
      tethered ? ['-e', TETHER, command, ...args] : args,
      {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        // The tether's stdin is a pipe this process never writes to; see TETHER.
        stdio: [tethered ? 'pipe' : 'ignore', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'],
      },
    );
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
