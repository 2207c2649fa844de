/**
 * The scheduled jobs and when they run, in EventBridge Scheduler syntax (`rate(...)` or the
 * six-field `cron(minutes hours day-of-month month day-of-week year)`). The one list: CDK creates a
 * schedule per job from it (cdk/lib/constructs/scheduled-jobs.ts) and the local stack's scheduler
 * fires the same handlers on the same expressions (scripts/local-stack/local-scheduler.ts).
 */
export type JobName = 'repository-sync' | 'health-check';

export interface JobSpec {
  name: JobName;
  expression: string;
  /** Handler entry, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  /** How long a run may take: the Lambda timeout; the job's lease lasts longer (see leaseMs). */
  timeoutSeconds: number;
}

export const JOBS: readonly JobSpec[] = [
  {
    name: 'repository-sync',
    expression: 'rate(15 minutes)',
    entry: 'lambdas/handlers/jobs/repository-sync.ts',
    description:
      "Records each project's default-branch head, open pull requests and their checks; re-indexes the knowledge of a project whose head moved",
    timeoutSeconds: 600,
  },
  {
    name: 'health-check',
    expression: 'rate(5 minutes)',
    entry: 'lambdas/handlers/jobs/health-check.ts',
    description:
      'Probes <url>/health of every deployed project and tells the owner when it goes down or back up',
    timeoutSeconds: 60,
  },
] as const;

/** A run's lease: past the Lambda timeout, so a live run never loses it and a dead one frees it soon after. */
export function jobLeaseMs(spec: Pick<JobSpec, 'timeoutSeconds'>): number {
  return (spec.timeoutSeconds + 30) * 1000;
}

export function jobSpec(name: JobName): JobSpec {
  const spec = JOBS.find((j) => j.name === name);
  if (!spec) throw new Error(`Unknown job ${name}`);
  return spec;
}
