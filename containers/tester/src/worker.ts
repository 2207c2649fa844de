import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureCause, failureName, isStop } from '../../shared/errors.ts';
import type { Git } from '../../shared/git.ts';
import { startHeartbeats } from '../../shared/heartbeats.ts';
import type { TestJob } from '../../shared/job.ts';
import { type CommandResult, projectEnv, runCommand } from '../../shared/run-command.ts';
import type { Clock, Logger, RepositoryAccess, WorkerCallbacks, WorkerExit } from '../../shared/types.ts';

/**
 * The tester: a fresh clone of the pushed commit with a READ token, then `npm test` and
 * `npm run lint` in that clean checkout. Green means green on a clean checkout, never in the
 * coding worker's tree. Red tests are a result (success callback, `passed: false`); only a
 * failure to test at all (clone, install timeout, ...) is reported as a task failure.
 */
export interface TesterDeps {
  /** Hands out a read-only token for the job's repository. */
  repositoryAccess: RepositoryAccess;
  callbacks: WorkerCallbacks;
  git: Git;
  logger: Logger;
  clock: Clock;
  heartbeatIntervalMs?: number;
  /** Per command (install, test, lint); default 10 minutes. */
  commandTimeoutMs?: number;
  workRoot?: string;
  signal?: AbortSignal;
  /** Where PATH and HOME for the project's commands come from (default process.env). */
  parentEnv?: NodeJS.ProcessEnv;
}

export interface TestReport {
  passed: boolean;
  commit: string;
  install?: CommandResult;
  tests: CommandResult;
  lint: CommandResult;
}

export function createWorker(deps: TesterDeps) {
  const { repositoryAccess, callbacks, git, logger, clock } = deps;
  return {
    async run(job: TestJob): Promise<WorkerExit> {
      const controller = new AbortController();
      deps.signal?.addEventListener('abort', () => controller.abort(deps.signal?.reason), { once: true });
      const stopHeartbeats = startHeartbeats({
        callbacks,
        clock,
        logger,
        intervalMs: deps.heartbeatIntervalMs ?? 60_000,
        controller,
      });
      const secrets: string[] = [];
      let workdir: string | undefined;
      try {
        const { signal } = controller;
        const checkout = await mkdtemp(join(deps.workRoot ?? tmpdir(), 'tester-'));
        workdir = checkout;
        const access = await repositoryAccess.token();
        secrets.push(access.token);
        await git.clone({ url: access.cloneUrl, token: access.token, dir: checkout });
        await git.checkoutCommit(checkout, job.commit);
        signal.throwIfAborted();
        const run = (args: string[]) =>
          runCommand('npm', args, {
            cwd: checkout,
            env: projectEnv(deps.parentEnv ?? process.env),
            timeoutMs: deps.commandTimeoutMs ?? 600_000,
            signal,
          });
        // The scripted project has no dependencies; install only what a lock file pins.
        const install = existsSync(join(checkout, 'package-lock.json'))
          ? await run(['ci', '--ignore-scripts', '--no-audit', '--no-fund'])
          : undefined;
        const skipped = { exitCode: null, timedOut: false, outputTail: 'not run: npm ci failed' };
        const installed = install === undefined || install.exitCode === 0;
        const tests = installed ? await run(['test']) : skipped;
        const lint = installed ? await run(['run', 'lint']) : skipped;
        const report: TestReport = {
          passed: installed && tests.exitCode === 0 && lint.exitCode === 0,
          commit: job.commit,
          ...(install ? { install } : {}),
          tests,
          lint,
        };
        stopHeartbeats();
        await callbacks.success(report);
        logger.info('Tested and reported', { commit: job.commit, passed: report.passed });
        return 'succeeded';
      } catch (error) {
        stopHeartbeats();
        const reason = controller.signal.aborted ? controller.signal.reason : error;
        if (isStop(reason)) {
          logger.warn('Stopped: the task token is no longer valid', { error: String(reason) });
          return 'stopped';
        }
        const name = failureName(reason);
        logger.error('Testing failed', { error: name });
        try {
          await callbacks.failure(name, failureCause(reason, secrets));
          return 'failed';
        } catch (reportError) {
          if (isStop(reportError)) return 'stopped';
          throw reportError;
        }
      } finally {
        if (workdir) await rm(workdir, { recursive: true, force: true });
      }
    },
  };
}
