import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalWorkerHandlers, runLocalWorker } from '../../../containers/shared/local-worker-process.ts';
import { type BareRepo, createBareRepo } from '../../support/bare-repo.ts';

// Both workers' main.ts as real child processes, the way the local stack runs them: callbacks
// and the token broker over the IPC channel, the repository a local bare one over file://.
const BASE_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  HEARTBEAT_SECONDS: '0.05',
};
const JOB = {
  runName: 'eng-weather-1a2b3c4d-a1',
  projectName: 'weather',
  repository: 'org/weather',
  branch: 'feature/build',
  spec: 'As a traveller, I want to get the forecast for a city.',
};

function recordingHandlers(cloneUrl: string, heartbeat: () => Promise<void> = async () => {}) {
  const seen = {
    tokens: 0,
    heartbeats: 0,
    successes: [] as unknown[],
    failures: [] as { error: string; cause: string }[],
  };
  const handlers: LocalWorkerHandlers = {
    async token() {
      seen.tokens++;
      return { token: `ghs_local_${seen.tokens}`, cloneUrl };
    },
    async heartbeat() {
      seen.heartbeats++;
      await heartbeat();
    },
    async success(output) {
      seen.successes.push(output);
    },
    async failure(error, cause) {
      seen.failures.push({ error, cause });
    },
  };
  return { handlers, seen };
}

describe('workers as child processes', () => {
  let repo: BareRepo;
  beforeEach(async () => {
    repo = await createBareRepo();
  });
  afterEach(() => repo.close());

  it('codes red with the fault setting, tests red, reworks, tests green', async () => {
    const code = async (attempt: number, testReport?: string) => {
      const { handlers, seen } = recordingHandlers(repo.url);
      const run = runLocalWorker({
        worker: 'coding',
        job: { ...JOB, attempt, ...(testReport ? { testReport } : {}) },
        env: { ...BASE_ENV, CODING_ENGINE: 'scripted', SCRIPTED_ENGINE_FAIL_ATTEMPTS: '1' },
        handlers,
      });
      expect(await run.exited, run.output()).toBe(0);
      return seen.successes[0] as { commit: string; outcome: string };
    };
    const test = async (commit: string) => {
      const { handlers, seen } = recordingHandlers(repo.url);
      const run = runLocalWorker({ worker: 'tester', job: { ...JOB, commit }, env: BASE_ENV, handlers });
      expect(await run.exited, run.output()).toBe(0);
      return seen.successes[0] as { passed: boolean; tests: { outputTail: string } };
    };

    const first = await code(1);
    const red = await test(first.commit);
    expect(red.passed).toBe(false);
    const second = await code(2, red.tests.outputTail);
    const green = await test(second.commit);

    expect(first.outcome).toBe('done');
    expect(green.passed).toBe(true);
    expect(repo.git('rev-parse', 'refs/heads/feature/build')).toBe(second.commit);
  });

  it('exits 2 and reports nothing when a heartbeat is refused', async () => {
    // Prepare: the task times out at the first heartbeat
    const { handlers, seen } = recordingHandlers(repo.url, async () => {
      throw new Error('timed_out');
    });
    // Act
    const run = runLocalWorker({
      worker: 'tester',
      job: { ...JOB, commit: repo.git('rev-parse', 'main') },
      env: { ...BASE_ENV, HEARTBEAT_SECONDS: '0.01' },
      handlers,
    });
    // Assess
    expect(await run.exited, run.output()).toBe(2);
    expect(seen.successes).toEqual([]);
    expect(seen.failures).toEqual([]);
  });

  it('reports a malformed job as InvalidJobError and exits 1', async () => {
    const { handlers, seen } = recordingHandlers(repo.url);
    const run = runLocalWorker({ worker: 'coding', job: { runName: 'x' }, env: BASE_ENV, handlers });
    expect(await run.exited).toBe(1);
    expect(seen.failures[0]?.error).toBe('InvalidJobError');
    expect(seen.tokens).toBe(0);
  });
});
