import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorker } from '../../../containers/coding-worker/src/worker.ts';
import { createGitCli } from '../../../containers/shared/git.ts';
import { systemClock } from '../../../containers/shared/types.ts';
import { ScriptedEngine } from '../../../lambdas/adapters/coding/scripted-engine.ts';
import type { CodingEngine, CodingTask } from '../../../lambdas/ports/coding-engine.ts';
import { CodingEngineError } from '../../../lambdas/ports/coding-engine.ts';
import { type BareRepo, createBareRepo } from '../../support/bare-repo.ts';
import { fakeBroker, recordingCallbacks, silentLogger } from '../../support/worker-fakes.ts';

const JOB = {
  runName: 'eng-weather-1a2b3c4d-a1',
  projectName: 'weather',
  repository: 'org/weather',
  branch: 'feature/build',
  spec: 'As a traveller, I want to get the forecast for a city.',
  attempt: 1,
};

/** Wraps an engine: records what it was given and what it could see, and can hold the run open. */
function observedEngine(inner: CodingEngine, holdMs = 0) {
  const seen: { task?: CodingTask; env?: NodeJS.ProcessEnv; files?: Record<string, string> } = {};
  const engine: CodingEngine = {
    name: 'observed',
    async run(task) {
      seen.task = task;
      seen.env = { ...process.env };
      seen.files = await readTree(task.workdir);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      return inner.run(task);
    },
  };
  return { engine, seen };
}

async function readTree(dir: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      tree[join(entry.parentPath, entry.name)] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return tree;
}

describe('coding worker against a local bare repository', () => {
  let repo: BareRepo;
  beforeEach(async () => {
    repo = await createBareRepo({
      'README.md': '# weather\n',
      'docs/SPEC.md': 'As a user, I want to see alerts.\n',
    });
  });
  afterEach(() => repo.close());

  const depsWith = (engine: CodingEngine, answer?: Parameters<typeof recordingCallbacks>[0]) => {
    const broker = fakeBroker(repo.url);
    const recorded = recordingCallbacks(answer);
    const worker = createWorker({
      engine,
      repositoryAccess: broker.repositoryAccess,
      callbacks: recorded.callbacks,
      git: createGitCli(),
      logger: silentLogger,
      clock: systemClock,
      heartbeatIntervalMs: 20,
    });
    return { worker, broker, calls: recorded.calls };
  };

  it('clones the branch, runs the engine with heartbeats, commits, pushes and reports', async () => {
    // Prepare
    const { engine } = observedEngine(new ScriptedEngine(), 150);
    const { worker, broker, calls } = depsWith(engine);
    // Act
    const exit = await worker.run(JOB);
    // Assess
    expect(exit).toBe('succeeded');
    expect(calls.failures).toEqual([]);
    expect(calls.heartbeats).toBeGreaterThanOrEqual(2);
    const output = calls.successes[0] as Record<string, unknown>;
    expect(output).toMatchObject({
      outcome: 'done',
      modelId: 'scripted-engine',
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      summary: expect.stringContaining('/forecast'),
    });
    expect(repo.git('rev-parse', 'refs/heads/feature/build')).toBe(output.commit);
    expect(repo.git('show', `${output.commit}:package.json`)).toContain('"test": "node --test"');
    expect(repo.git('log', '-1', '--format=%B', 'feature/build')).toContain(
      'Run: eng-weather-1a2b3c4d-a1, attempt 1',
    );
    expect(repo.git('rev-parse', 'refs/heads/main')).toBe(repo.git('rev-parse', `${output.commit}~1`));
    expect(broker.issued).toHaveLength(2); // one to clone, a fresh one to push
  });

  it('gives the engine no token: not in its task, its environment or the working tree', async () => {
    // Prepare
    const { engine, seen } = observedEngine(new ScriptedEngine());
    const { worker, broker } = depsWith(engine);
    // Act
    await worker.run(JOB);
    // Assess
    const visible = JSON.stringify([seen.task, seen.env, seen.files]);
    expect(broker.issued.length).toBeGreaterThan(0);
    for (const token of broker.issued) expect(visible).not.toContain(token);
    expect(visible).not.toContain('x-access-token');
    expect(Object.keys(seen.files ?? {}).some((path) => path.endsWith('.git/config'))).toBe(true);
  });

  it('reads the spec from the repository when the job gives specRef', async () => {
    const { engine, seen } = observedEngine(new ScriptedEngine());
    const { worker, calls } = depsWith(engine);
    const { spec: _, ...rest } = JOB;
    await expect(worker.run({ ...rest, specRef: 'docs/SPEC.md' })).resolves.toBe('succeeded');
    expect(seen.task?.spec).toBe('As a user, I want to see alerts.\n');
    expect((calls.successes[0] as { summary: string }).summary).toContain('/alerts');
  });

  it('continues an existing branch on rework and passes the test report to the engine', async () => {
    // Prepare
    const first = depsWith(new ScriptedEngine({ failAttempts: 1 }));
    await first.worker.run(JOB);
    const before = repo.git('rev-parse', 'refs/heads/feature/build');
    const { engine, seen } = observedEngine(new ScriptedEngine({ failAttempts: 1 }));
    const { worker, calls } = depsWith(engine);
    // Act
    await worker.run({ ...JOB, attempt: 2, testReport: 'GET /health answered 500' });
    // Assess
    const output = calls.successes[0] as { commit: string };
    expect(repo.git('rev-parse', `${output.commit}~1`)).toBe(before);
    expect(seen.task?.testReport).toBe('GET /health answered 500');
    expect(repo.git('show', `${output.commit}:src/app.mjs`)).not.toContain("status: 'broken'");
  });

  it("passes the broker's knowledge brief to the engine on a change or fix", async () => {
    // Prepare
    const brief = 'Project knowledge of weather-bot for "alerts": 1 passage(s).';
    const { engine, seen } = observedEngine(new ScriptedEngine());
    const recorded = recordingCallbacks();
    const worker = createWorker({
      engine,
      repositoryAccess: fakeBroker(repo.url, brief).repositoryAccess,
      callbacks: recorded.callbacks,
      git: createGitCli(),
      logger: silentLogger,
      clock: systemClock,
      heartbeatIntervalMs: 20,
    });

    // Act
    const exit = await worker.run(JOB);

    // Assess
    expect(exit).toBe('succeeded');
    expect(seen.task?.knowledge).toBe(brief);
  });

  it('stops when a heartbeat is answered timed_out: engine aborted, nothing pushed, nothing reported', async () => {
    // Prepare
    let abortedWith: unknown;
    let engineRunning = false;
    const hanging: CodingEngine = {
      name: 'hanging',
      run: (task) =>
        new Promise((_, reject) => {
          engineRunning = true;
          task.signal?.addEventListener('abort', () => {
            abortedWith = task.signal?.reason;
            reject(task.signal?.reason);
          });
        }),
    };
    // The task times out while the engine works.
    const { worker, calls } = depsWith(hanging, () => (engineRunning ? 'timed_out' : 'ok'));
    // Act
    const exit = await worker.run(JOB);
    // Assess
    expect(exit).toBe('stopped');
    expect(abortedWith).toMatchObject({ name: 'TaskTokenError', reason: 'timed_out' });
    expect(() => repo.git('rev-parse', '--verify', 'refs/heads/feature/build')).toThrow();
    expect(calls.successes).toEqual([]);
    expect(calls.failures).toEqual([]);
  });

  it('reports an engine failure by name, with any token taken out of the cause', async () => {
    // Prepare
    let leaked = '';
    const broken: CodingEngine = {
      name: 'broken',
      async run() {
        throw new CodingEngineError(`model said no (saw ${leaked})`, 'api_error');
      },
    };
    const { worker, broker, calls } = depsWith(broken);
    const token = broker.repositoryAccess.token;
    broker.repositoryAccess.token = async () => {
      const access = await token();
      leaked = access.token;
      return access;
    };
    // Act
    const exit = await worker.run(JOB);
    // Assess
    expect(exit).toBe('failed');
    expect(calls.failures).toEqual([{ error: 'CodingEngineError', cause: 'model said no (saw ***)' }]);
    expect(calls.successes).toEqual([]);
  });

  it('reports a clone failure as GitError', async () => {
    const { worker, calls } = depsWith(new ScriptedEngine());
    await repo.close();
    await expect(worker.run(JOB)).resolves.toBe('failed');
    expect(calls.failures[0]?.error).toBe('GitError');
  });
});
