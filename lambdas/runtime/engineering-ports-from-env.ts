import { EcsWorkerTasks } from '../adapters/aws/ecs-worker-tasks.ts';
import { GitHubAppHost } from '../adapters/github/github-app-host.ts';
import type { EngineeringStepPorts } from '../app/engineering-steps.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { Pipelines } from '../ports/pipelines.ts';
import type { WorkerTasks } from '../ports/worker-tasks.ts';
import { buildModels } from './build-models.ts';
import { lazyTelegramChat } from './lazy-telegram-chat.ts';
import { pipelinesFromConfig } from './pipelines-from-config.ts';
import type { Runtime } from './runtime.ts';

/**
 * The engineering steps' ports in AWS, from configuration. Each is built on first use, so a step
 * that does not need one (notify-owner needs no GitHub App key) never reads its secret or makes
 * its client: least privilege holds at run time as it does in IAM.
 */
export function engineeringPortsFromEnv(runtime: Runtime): EngineeringStepPorts {
  const { config } = runtime;
  const unavailable = (what: string) => () => {
    throw new Error(`${what} is not configured for this function`);
  };
  const chatPort = lazyTelegramChat(runtime);
  const gitHost: GitHost | undefined =
    config.gitHost.driver === 'github'
      ? new GitHubAppHost({
          org: config.gitHost.org,
          appId: config.gitHost.appId,
          installationId: Number(config.gitHost.installationId),
          secrets: runtime.secrets,
          privateKeySecret: config.gitHost.appKeySecretId,
          baseUrl: config.gitHost.apiUrl,
        })
      : undefined;
  const pipelines: Pipelines | undefined = runtime.pipelines ?? pipelinesFromConfig(config);
  const workerTasks: WorkerTasks | undefined = config.workerClusterArn
    ? new EcsWorkerTasks(config.workerClusterArn)
    : undefined;
  return {
    chat: chatPort,
    model: () => buildModels(config, runtime.cachedSecrets, runtime.logger, runtime.telemetry).agent,
    ...(gitHost ? { gitHost } : {}),
    pipelines:
      pipelines ?? (new Proxy({}, { get: unavailable('Step Functions (PIPELINES_DRIVER)') }) as Pipelines),
    workerTasks: workerTasks ?? { stopGroup: unavailable('The worker cluster (WORKER_CLUSTER_ARN)') },
  };
}
