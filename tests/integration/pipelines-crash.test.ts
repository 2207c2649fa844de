import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { LocalStepFunctions } from '../../lambdas/adapters/local/local-step-functions.ts';
import { crashWorld } from '../fixtures/pipelines-world.ts';
import { isAlive } from '../support/pids.ts';

/**
 * The contract suite's restart is in-process; this one kills a real process with SIGKILL while a
 * run waits for a human, and resumes the run in this process from what is on disk.
 */
let dataDir: string;
let runner: LocalStepFunctions | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pipelines-crash-'));
});

afterEach(async () => {
  await runner?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const lines = (file: string) =>
  existsSync(join(dataDir, file)) ? readFileSync(join(dataDir, file), 'utf8').trim().split('\n') : [];

/** A runner in another process that starts one run; `killHard` is SIGKILL, as a crash would be. */
function startRunner(name: string, input: object) {
  const fixture = join(import.meta.dirname, '../fixtures/pipelines-crash-child.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir, name, JSON.stringify(input)], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    killHard: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it('resumes a run after SIGKILL: no finished state runs again and the old token completes it', async () => {
  // Prepare: another process starts the run and is killed while AskHuman waits.
  const child = startRunner('crash-1', { count: 0, mode: 'human' });
  await until(() => lines('tokens.log').length === 1);
  await child.killHard();
  const [token] = lines('tokens.log');

  // Act
  runner = crashWorld(dataDir);
  const resumed = await runner.resumeInterrupted();
  await runner.sendTaskSuccess(token!, { approved: 'after SIGKILL' });

  // Assess
  expect(resumed).toEqual(['arn:aws:states:local:000000000000:execution:engineering:crash-1']);
  let done = await runner.describe(resumed[0]!);
  for (let i = 0; i < 400 && done.status === 'RUNNING'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    done = await runner.describe(resumed[0]!);
  }
  // Finished states never run again. The callback's own Lambda is invoked at least once, as in
  // AWS: a kill after it ran but before the runner recorded that may send its message again.
  const calls = lines('calls.log');
  expect(calls.filter((c) => c === 'prepare')).toEqual(['prepare']);
  expect(calls.filter((c) => c === 'finish')).toEqual(['finish']);
  expect(calls.filter((c) => c === 'ask').length).toBeGreaterThanOrEqual(1);
  expect(calls.at(-1)).toBe('finish');
  expect(done).toMatchObject({
    status: 'SUCCEEDED',
    output: { done: { answer: { approved: 'after SIGKILL' } } },
  });
  const types = (await runner.history(resumed[0]!)).map((e) => e.type);
  expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(3);
});

it('kills the worker a killed runner left behind before starting it again', async () => {
  // Prepare: the worker leads its own process group, so it outlives the SIGKILLed runner.
  const pidFile = join(dataDir, 'worker.pid');
  const readPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0);
  const child = startRunner('crash-2', { count: 0, mode: 'worker', task: 'sleeper', pidFile });
  await until(() => readPid() > 0);
  const orphan = readPid();
  await child.killHard();
  expect(isAlive(orphan)).toBe(true);

  // Act
  runner = crashWorld(dataDir);
  await runner.resumeInterrupted();

  // Assess
  await until(() => readPid() > 0 && readPid() !== orphan);
  await until(() => !isAlive(orphan));
  const worker = readPid();
  expect(isAlive(worker)).toBe(true);
  await runner.stop('arn:aws:states:local:000000000000:execution:engineering:crash-2');
  await until(() => !isAlive(worker));
});
