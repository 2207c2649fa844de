import { EcsWorkerTasks } from '../adapters/aws/ecs-worker-tasks.ts';
import { GitHubAppHost } from '../adapters/github/github-app-host.ts';
import { buildDeploymentResources } from '../app/deployment-resources-wiring.ts';
import type { DevopsStepPorts } from '../app/devops-steps.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { Pipelines } from '../ports/pipelines.ts';
import type { WorkerTasks } from '../ports/worker-tasks.ts';
import { buildModels } from './build-models.ts';
import { pipelinesFromConfig } from './pipelines-from-config.ts';
import type { Runtime } from './runtime.ts';

/**
 * The devops steps' ports in AWS, from configuration, like engineeringPortsFromEnv. Building them
 * reads nothing: the model, the GitHub App key and the secrets behind the deployment resources
 * are read on first use, so a step (smoke-test, ask-for-secret) that never uses one needs no
 * permission for it, and IAM (cdk/lib/constructs/devops-pipeline.ts) grants none.
 */
export function devopsPortsFromEnv(runtime: Runtime): DevopsStepPorts {
  const { config } = runtime;
  const unavailable = (what: string) => () => {
    throw new Error(`${what} is not configured for this function`);
  };
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
  const { inventory, resources } = buildDeploymentResources(runtime);
  return {
    model: () => buildModels(config, runtime.cachedSecrets, runtime.logger, runtime.telemetry).agent,
    ...(gitHost ? { gitHost } : {}),
    pipelines:
      pipelines ?? (new Proxy({}, { get: unavailable('Step Functions (PIPELINES_DRIVER)') }) as Pipelines),
    workerTasks: workerTasks ?? { stopGroup: unavailable('The worker cluster (WORKER_CLUSTER_ARN)') },
    resources,
    inventory,
  };
}
