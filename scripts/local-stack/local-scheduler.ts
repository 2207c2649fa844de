import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { OperationsJob } from '../../lambdas/app/operations-jobs.ts';
import { JOBS, type JobName } from '../../lambdas/config/schedules.ts';
import { toCroner } from './schedule-expressions.ts';

export interface LocalScheduler {
  /** Runs a job now, as a schedule firing would (tests call it instead of waiting). */
  runNow(job: JobName): Promise<unknown>;
  /** How many runs each job started, by schedule or runNow. */
  readonly started: Record<JobName, number>;
  /** Stops the schedules and waits for runs in flight. */
  stop(): Promise<void>;
}

/**
 * EventBridge Scheduler's stand-in: fires each job's handler on the job's own schedule expression
 * (lambdas/config/schedules.ts, the list CDK reads), through croner. Each firing is one invocation
 * with its own id, so overlapping firings meet at the job's lease lock as Lambdas do. A failed run
 * is logged; the next firing is its retry.
 */
export function startLocalScheduler(options: {
  jobs: Record<JobName, OperationsJob>;
  /** Other expressions for some jobs (tests: a short rate). */
  expressions?: Partial<Record<JobName, string>>;
  log?: (line: string) => void;
}): LocalScheduler {
  const log = options.log ?? (() => undefined);
  const inFlight = new Set<Promise<unknown>>();
  const started = Object.fromEntries(JOBS.map((j) => [j.name, 0])) as Record<JobName, number>;
  const fire = (job: JobName): Promise<unknown> => {
    started[job] += 1;
    const run = options.jobs[job](`local-${job}-${randomUUID()}`).then(
      (result) => {
        if (!result.ran) log(`job ${job}: already running, skipped`);
        return result;
      },
      (error: unknown) => {
        log(`job ${job} failed: ${String(error)}`);
        throw error;
      },
    );
    const tracked = run.catch(() => undefined).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return run;
  };
  const crons = JOBS.map((spec) => {
    const plan = toCroner(options.expressions?.[spec.name] ?? spec.expression);
    return new Cron(plan.pattern, { ...plan.options, unref: true }, () => {
      void fire(spec.name).catch(() => undefined);
    });
  });
  return {
    runNow: fire,
    started,
    stop: async () => {
      for (const cron of crons) cron.stop();
      await Promise.all([...inFlight]);
    },
  };
}
