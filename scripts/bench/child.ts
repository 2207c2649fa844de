import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { RunnerFailure, RunnerJob, WarmCommand, WarmReady, WarmReply } from './protocol.ts';

/**
 * Child processes of the bench: plain `node` on the bundled runner, with exactly the environment
 * given (no tsx loader, no NODE_OPTIONS), the handler's stdout (its logs) appended to `logFile`.
 */
function spawnRunner(runner: string, job: RunnerJob, env: NodeJS.ProcessEnv, logFd: number, ipc: boolean) {
  const child = spawn(process.execPath, [runner, JSON.stringify(job)], {
    env,
    stdio: ipc ? ['ignore', logFd, 'pipe', 'ipc'] : ['ignore', logFd, 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.on('close', done));
  return { child, exited, stderr: () => stderr.join('').trim() };
}

async function failureOf(job: RunnerJob, code: number | null, stderr: string): Promise<Error> {
  const raw = await readFile(job.out, 'utf8').catch(() => '{}');
  const error = (JSON.parse(raw) as Partial<RunnerFailure>).error ?? '';
  return new Error(`Runner failed (${job.mode}, ${job.bundle}, exit ${code}):\n${error}\n${stderr}`.trim());
}

/** A one-shot runner (cold mode): waits for it to exit and returns its result file. */
export async function runOnce<T>(
  runner: string,
  job: RunnerJob,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<{ result: T; stderr: string }> {
  const logFd = openSync(logFile, 'a');
  try {
    const { exited, stderr } = spawnRunner(runner, job, env, logFd, false);
    const code = await exited;
    if (code !== 0) throw await failureOf(job, code, stderr());
    return { result: JSON.parse(await readFile(job.out, 'utf8')) as T, stderr: stderr() };
  } finally {
    closeSync(logFd);
  }
}

/** A warm runner kept alive and driven command by command over IPC. */
export class WarmChild {
  private pending: { resolve: (reply: WarmReply) => void; reject: (error: Error) => void } | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
    readonly stderr: () => string,
    private readonly job: RunnerJob,
    private readonly logFd: number,
  ) {
    child.on('message', (message) => {
      const waiting = this.pending;
      this.pending = undefined;
      waiting?.resolve(message as WarmReply);
    });
    void exited.then(async (code) => {
      closeSync(this.logFd);
      const waiting = this.pending;
      this.pending = undefined;
      if (waiting) waiting.reject(await failureOf(this.job, code, this.stderr()));
    });
  }

  /** Starts the runner; resolves once its warm-up is done. */
  static async start(
    runner: string,
    job: RunnerJob,
    env: NodeJS.ProcessEnv,
    logFile: string,
  ): Promise<{ child: WarmChild; ready: WarmReady }> {
    const logFd = openSync(logFile, 'a');
    const { child, exited, stderr } = spawnRunner(runner, job, env, logFd, true);
    const warm = new WarmChild(child, exited, stderr, job, logFd);
    const ready = (await warm.next()) as WarmReady;
    return { child: warm, ready };
  }

  async request<T>(command: WarmCommand): Promise<T> {
    const reply = this.next();
    this.child.send(command);
    const value = (await reply) as T;
    if (command.cmd === 'exit') await this.exited;
    return value;
  }

  /** Ends the process if it is still running (after a failure elsewhere). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  private async next(): Promise<unknown> {
    const reply = await new Promise<WarmReply>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
    if (!reply.ok) throw new Error(`Runner ${this.job.bundle} failed:\n${reply.error}`);
    return reply.value;
  }
}
