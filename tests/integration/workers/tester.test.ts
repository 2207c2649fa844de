import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorker as createCodingWorker } from '../../../containers/coding-worker/src/worker.ts';
import { createGitCli } from '../../../containers/shared/git.ts';
import { systemClock } from '../../../containers/shared/types.ts';
import { createWorker } from '../../../containers/tester/src/worker.ts';
import { ScriptedEngine } from '../../../lambdas/adapters/coding/scripted-engine.ts';
import { type BareRepo, createBareRepo } from '../../support/bare-repo.ts';
import { fakeBroker, recordingCallbacks, silentLogger } from '../../support/worker-fakes.ts';

const JOB = {
  runName: 'eng-weather-1a2b3c4d-a1',
  projectName: 'weather',
  repository: 'org/weather',
  branch: 'feature/build',
  spec: 'As a traveller, I want to get the forecast for a city.\nWith the Telegram bot.',
};

interface Report {
  passed: boolean;
  commit: string;
  install?: { exitCode: number | null };
  tests: { exitCode: number | null; outputTail: string };
  lint: { exitCode: number | null; outputTail: string };
}

describe('tester worker against a local bare repository', () => {
  let repo: BareRepo;
  beforeEach(async () => {
    repo = await createBareRepo();
  });
  afterEach(() => repo.close());

  async function code(attempt: number, failAttempts = 0): Promise<string> {
    const { callbacks, calls } = recordingCallbacks();
    await createCodingWorker({
      engine: new ScriptedEngine({ failAttempts }),
      repositoryAccess: fakeBroker(repo.url).repositoryAccess,
      callbacks,
      git: createGitCli(),
      logger: silentLogger,
      clock: systemClock,
    }).run({ ...JOB, attempt });
    return (calls.successes[0] as { commit: string }).commit;
  }

  async function test(commit: string) {
    const recorded = recordingCallbacks();
    const exit = await createWorker({
      repositoryAccess: fakeBroker(repo.url).repositoryAccess,
      callbacks: recorded.callbacks,
      git: createGitCli(),
      logger: silentLogger,
      clock: systemClock,
      heartbeatIntervalMs: 50,
    }).run({ ...JOB, commit });
    return { exit, calls: recorded.calls, report: recorded.calls.successes[0] as Report };
  }

  it('passes the scripted project on a clean checkout of the pushed commit', async () => {
    // Prepare
    const commit = await code(1);
    // Act
    const { exit, report, calls } = await test(commit);
    // Assess
    expect(exit).toBe('succeeded');
    expect(calls.failures).toEqual([]);
    expect(report).toMatchObject({ passed: true, commit, tests: { exitCode: 0 }, lint: { exitCode: 0 } });
    expect(report.install).toBeUndefined();
    expect(report.tests.outputTail).toMatch(/# fail 0/);
  });

  it('reports red (as a result, not a failure) for the fault attempt, then green for the rework', async () => {
    // Prepare
    const red = await code(1, 1);
    const green = await code(2, 1);
    // Act
    const first = await test(red);
    const second = await test(green);
    // Assess
    expect(first.report).toMatchObject({
      passed: false,
      commit: red,
      tests: { exitCode: 1 },
      lint: { exitCode: 0 },
    });
    expect(first.report.tests.outputTail).toContain('/health');
    expect(second.report).toMatchObject({ passed: true, commit: green });
  });

  it('tests the commit it is given, not the branch head', async () => {
    const red = await code(1, 1);
    await code(2, 1); // the branch moves on to a green commit
    const { report } = await test(red);
    expect(report).toMatchObject({ passed: false, commit: red });
  });

  it('runs npm ci when the project has a lock file, and fails red when it cannot install', async () => {
    // Prepare: a project whose lock file names a package that is not there (npm ci fails offline fast)
    const seed = await mkdtemp(join(tmpdir(), 'lock-'));
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', seed, ...args], { stdio: 'ignore' });
      execFileSync('git', ['clone', '-q', repo.url, seed], { stdio: 'ignore' });
      await writeFile(
        join(seed, 'package.json'),
        JSON.stringify({ name: 'x', version: '1.0.0', scripts: { test: 'true', lint: 'true' } }),
      );
      await writeFile(join(seed, 'package-lock.json'), '{"lockfileVersion": 3, "broken": true');
      git('add', '-A');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'lock');
      git('push', '-q', 'origin', 'HEAD:refs/heads/feature/build');
      const commit = execFileSync('git', ['-C', seed, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
      // Act
      const { report } = await test(commit);
      // Assess
      expect(report.passed).toBe(false);
      expect(report.install?.exitCode).not.toBe(0);
      expect(report.tests.outputTail).toContain('not run');
    } finally {
      await rm(seed, { recursive: true, force: true });
    }
  });

  it('reports GitError when the commit does not exist', async () => {
    const { exit, calls } = await test('0123456789abcdef0123456789abcdef01234567');
    expect(exit).toBe('failed');
    expect(calls.failures[0]?.error).toBe('GitError');
  });
});
