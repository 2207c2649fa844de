import { EcsWorkerTasks } from '../adapters/aws/ecs-worker-tasks.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { LanguageModel } from '../ports/language-model.ts';
import type { Pipelines } from '../ports/pipelines.ts';
import type { WorkerTasks } from '../ports/worker-tasks.ts';
import { buildModels } from './build-models.ts';
import { gitHostFromConfig } from './git-host-from-config.ts';
import { pipelinesFromConfig } from './pipelines-from-config.ts';
import type { Runtime } from './runtime.ts';

/**
 * The ports every pipeline step shares in AWS, from configuration: the model, the git host, Step
 * Functions and the worker cluster. What a function is not configured for fails on use, saying
 * which setting is missing, so a step that never uses it needs no permission for it.
 */
export function pipelinePortsFromEnv(runtime: Runtime): {
  model: () => LanguageModel;
  gitHost?: GitHost;
  pipelines: Pipelines;
  workerTasks: WorkerTasks;
} {
  const { config } = runtime;
  const unavailable = (what: string) => () => {
    throw new Error(`${what} is not configured for this function`);
  };
  const gitHost = gitHostFromConfig(runtime);
  const pipelines = runtime.pipelines ?? pipelinesFromConfig(config);
  return {
    model: () => buildModels(config, runtime.cachedSecrets, runtime.logger, runtime.telemetry).agent,
    ...(gitHost ? { gitHost } : {}),
    pipelines:
      pipelines ?? (new Proxy({}, { get: unavailable('Step Functions (PIPELINES_DRIVER)') }) as Pipelines),
    workerTasks: config.workerClusterArn
      ? new EcsWorkerTasks(config.workerClusterArn)
      : { stopGroup: unavailable('The worker cluster (WORKER_CLUSTER_ARN)') },
  };
}
