import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildOperationsJobs } from '../../app/operations-jobs.ts';
import { buildServiceRecovery } from '../../app/service-recovery-wiring.ts';
import type { JobName } from '../../config/schedules.ts';
import { runtimeFromEnv } from '../../runtime/from-env.ts';
import { gitHostFromConfig } from '../../runtime/git-host-from-config.ts';
import { lambdaObservability } from '../../runtime/lambda-observability.ts';
import { once } from '../../runtime/lazy.ts';
import { lazyTelegramChat } from '../../runtime/lazy-telegram-chat.ts';

/**
 * One scheduled job as a Lambda, invoked by EventBridge Scheduler: the job runs under its lease
 * lock with the request id as holder. A thrown error fails the (asynchronous) invocation: Lambda
 * retries it with backoff, then it goes to the jobs' dead-letter queue, which is alarmed.
 */
export function jobHandler(job: JobName) {
  const observability = lambdaObservability(`job-${job}`);
  const jobs = once(() => {
    const runtime = runtimeFromEnv(observability);
    const gitHost = gitHostFromConfig(runtime);
    const { pipelines } = runtime;
    // The health check also recovers services (a redeploy, then a fix offer with buttons).
    const recovery =
      job === 'health-check' && pipelines
        ? buildServiceRecovery({ store: runtime.store, pipelines, chat: lazyTelegramChat(runtime) })
        : undefined;
    return buildOperationsJobs(runtime, {
      ...(recovery ? { recovery } : {}),
      ...(gitHost ? { gitHost } : {}),
    });
  });
  const handler = middy<unknown, unknown, Error, Context>().handler(async (_event, context) => {
    const run = await jobs()[job](context.awsRequestId);
    if (!run.ran) observability.logger.info('job already running elsewhere', { job, heldBy: run.heldBy });
    return { ran: run.ran };
  });
  for (const middleware of observability.middlewares) handler.use(middleware);
  return handler;
}
