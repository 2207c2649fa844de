import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodingEngine } from '../../../lambdas/ports/coding-engine.ts';
import type { TokenUsage } from '../../../lambdas/ports/language-model.ts';
import { failureCause, failureName, isStop } from '../../shared/errors.ts';
import type { Git } from '../../shared/git.ts';
import { startHeartbeats } from '../../shared/heartbeats.ts';
import type { CodingJob } from '../../shared/job.ts';
import type { Clock, Logger, RepositoryAccess, WorkerCallbacks, WorkerExit } from '../../shared/types.ts';

/**
 * The coding worker: clone the branch, let the engine edit the tree, commit, push, report.
 * Heartbeats run while it works; a heartbeat answered `timed_out` / `invalid` aborts the engine
 * and nothing is pushed. Any error is reported with SendTaskFailure under a clear error name.
 */
export interface CodingWorkerDeps {
  engine: CodingEngine;
  repositoryAccess: RepositoryAccess;
  callbacks: WorkerCallbacks;
  git: Git;
  logger: Logger;
  clock: Clock;
  /** Default 60 s. */
  heartbeatIntervalMs?: number;
  /** Default 50. */
  maxTurns?: number;
  /** Parent of the temporary working tree (default the OS temp dir). */
  workRoot?: string;
  /** Aborts the run from outside (SIGTERM from ECS). */
  signal?: AbortSignal;
}

export interface CodingOutput {
  outcome: 'done' | 'gave_up';
  commit: string;
  summary: string;
  usage: TokenUsage;
  modelId: string;
  turns?: number;
  cost?: { micros: number; priced: boolean };
}

export function createWorker(deps: CodingWorkerDeps) {
  const { engine, repositoryAccess, callbacks, git, logger, clock } = deps;
  return {
    async run(job: CodingJob): Promise<WorkerExit> {
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
        workdir = await mkdtemp(join(deps.workRoot ?? tmpdir(), 'coding-'));
        const access = await repositoryAccess.token();
        secrets.push(access.token);
        await git.clone({ url: access.cloneUrl, token: access.token, dir: workdir });
        await git.checkoutBranch(workdir, job.branch);
        const spec = job.spec ?? (await readFile(join(workdir, job.specRef ?? ''), 'utf8'));
        signal.throwIfAborted(); // a heartbeat may have been refused while cloning
        logger.info('Engine starting', { engine: engine.name, runName: job.runName, attempt: job.attempt });
        const result = await engine.run({
          workdir,
          spec,
          projectName: job.projectName,
          attempt: job.attempt,
          testReport: job.testReport,
          ...(access.knowledge ? { knowledge: access.knowledge } : {}),
          maxTurns: job.maxTurns ?? deps.maxTurns ?? 50,
          signal,
        });
        signal.throwIfAborted();
        const commit = await git.commitAll(workdir, commitMessage(job, result.summary));
        // A long run may outlive the first token: ask for a fresh one to push.
        const pushAccess = await repositoryAccess.token();
        secrets.push(pushAccess.token);
        signal.throwIfAborted();
        await git.push({ dir: workdir, branch: job.branch, token: pushAccess.token });
        stopHeartbeats();
        const output: CodingOutput = {
          outcome: result.outcome,
          commit,
          summary: result.summary,
          usage: result.usage,
          modelId: result.modelId,
          ...(result.turns === undefined ? {} : { turns: result.turns }),
          ...(result.cost === undefined ? {} : { cost: result.cost }),
        };
        await callbacks.success(output);
        logger.info('Pushed and reported', { commit, outcome: result.outcome });
        return 'succeeded';
      } catch (error) {
        stopHeartbeats();
        const reason = controller.signal.aborted ? controller.signal.reason : error;
        return report(reason, secrets);
      } finally {
        if (workdir) await rm(workdir, { recursive: true, force: true });
      }
    },
  };

  async function report(error: unknown, secrets: string[]): Promise<WorkerExit> {
    if (isStop(error)) {
      logger.warn('Stopped: the task token is no longer valid', { error: String(error) });
      return 'stopped';
    }
    const name = failureName(error);
    const cause = failureCause(error, secrets);
    logger.error('Coding failed', { error: name, cause });
    try {
      await callbacks.failure(name, cause);
      return 'failed';
    } catch (reportError) {
      if (isStop(reportError)) return 'stopped';
      throw reportError;
    }
  }
}

function commitMessage(job: CodingJob, summary: string): string {
  const subject = (summary.split('\n')[0] ?? '').trim().slice(0, 72) || `Attempt ${job.attempt}`;
  return `${subject}\n\n${summary}\n\nRun: ${job.runName}, attempt ${job.attempt}`;
}
