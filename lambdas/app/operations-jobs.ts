import { type JobName, jobLeaseMs, jobSpec } from '../config/schedules.ts';
import { fetchProbe, type HttpProbe } from '../domain/deploys/steps/smoke-test.ts';
import { ProjectIndexing } from '../domain/knowledge/project-indexing.ts';
import { type JobRun, runExclusively } from '../domain/operations/exclusive-job.ts';
import { FencedRecords } from '../domain/operations/fenced-records.ts';
import { HealthMonitor } from '../domain/operations/health-monitor.ts';
import { notifyOwners } from '../domain/operations/health-notifier.ts';
import { LeaseLock } from '../domain/operations/lease-lock.ts';
import { RepositorySync } from '../domain/operations/repository-sync.ts';
import type { ServiceRecovery } from '../domain/operations/service-recovery.ts';
import { PipelineDocuments } from '../domain/pipelines/documents.ts';
import { RunRecords } from '../domain/pipelines/run-records.ts';
import { ProjectRepository } from '../domain/projects/project-repository.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { Runtime } from '../runtime/runtime.ts';

/** A run that did its work but some of it failed: thrown so the job is retried, then dead-lettered. */
export class JobFailedError extends Error {
  constructor(job: JobName, what: string) {
    super(`${job}: ${what}`);
    this.name = 'JobFailedError';
  }
}

export interface OperationsJobDeps {
  /** Where repositories live; without one the repository sync has nothing to read. */
  gitHost?: GitHost;
  probe?: HttpProbe;
  /** Self-recovery of services that go down (redeploy, then a fix run offered to the owner). */
  recovery?: Pick<ServiceRecovery, 'afterCheck'>;
  /** More hooks on the health monitor (tests). */
  onMonitor?: (monitor: HealthMonitor) => void;
}

export type OperationsJob = (invocationId: string) => Promise<JobRun<unknown>>;

/**
 * The scheduled jobs on a runtime's ports: each run holds the job's lease lock (the invocation id
 * is the holder) and writes under its fence, so overlapping invocations do the work once. The
 * Lambdas (lambdas/handlers/jobs) and the local scheduler call these same functions.
 */
export function buildOperationsJobs(
  runtime: Runtime,
  deps: OperationsJobDeps = {},
): Record<JobName, OperationsJob> {
  const { store, logger } = runtime;
  const lock = new LeaseLock(store);
  const records = new FencedRecords(store);
  const projects = new ProjectRepository(store);
  const exclusive = <T>(name: JobName, holder: string, work: (fence: number) => Promise<T>) =>
    runExclusively(lock, { name, holder, leaseMs: jobLeaseMs(jobSpec(name)) }, (lease) => work(lease.fence));

  const monitor = new HealthMonitor({
    projects,
    deploys: new RunRecords(store, 'devops'),
    probe: deps.probe ?? fetchProbe,
    records,
    logger,
  });
  notifyOwners(monitor, runtime.queue);
  const { recovery } = deps;
  if (recovery) {
    // Acts on what a check settled: down (after the monitor's threshold) or answering again.
    monitor.onChecked(async ({ project, deploy, health }) => {
      if (health.state !== 'unhealthy' && health.consecutiveFailures > 0) return;
      const detail = `${health.url}/health ${health.lastError ?? 'answered'}`;
      await recovery.afterCheck(project, deploy.chatId, { healthy: health.state !== 'unhealthy', detail });
    });
  }
  deps.onMonitor?.(monitor);

  return {
    'repository-sync': (holder) =>
      exclusive('repository-sync', holder, async (fence) => {
        const gitHost = deps.gitHost ?? runtime.gitHost;
        if (!gitHost) {
          logger.info('repository sync skipped: no git host is configured');
          return { synced: [], failed: [] };
        }
        // Knowledge (where configured) follows each project's default branch: a new head is indexed.
        const knowledge = runtime.knowledge;
        const indexing = knowledge
          ? new ProjectIndexing({
              gitHost,
              indexer: knowledge.indexer,
              runs: new RunRecords(store),
              documents: new PipelineDocuments(store),
              store,
            })
          : undefined;
        const summary = await new RepositorySync({
          projects,
          gitHost,
          records,
          logger,
          ...(indexing
            ? { refreshKnowledge: (project, head) => indexing.refresh(project, head.commit) }
            : {}),
        }).syncAll(fence);
        logger.info('repository sync done', { ...summary });
        // One repository failing is logged; all of them failing is the host (credentials, outage).
        if (summary.failed.length > 0 && summary.synced.length === 0) {
          throw new JobFailedError(
            'repository-sync',
            `every repository failed: ${summary.failed.join(', ')}`,
          );
        }
        return summary;
      }),
    'health-check': (holder) =>
      exclusive('health-check', holder, async (fence) => {
        const summary = await monitor.checkAll(fence);
        logger.info('health check done', { ...summary });
        if (summary.hookFailures.length > 0) {
          throw new JobFailedError('health-check', `owners not told for ${summary.hookFailures.join(', ')}`);
        }
        return summary;
      }),
  };
}
