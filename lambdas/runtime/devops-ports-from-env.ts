import { buildDeploymentResources } from '../app/deployment-resources-wiring.ts';
import type { DevopsStepPorts } from '../app/devops-steps.ts';
import { pipelinePortsFromEnv } from './pipeline-ports-from-env.ts';
import type { Runtime } from './runtime.ts';

/**
 * The devops steps' ports in AWS, from configuration, like engineeringPortsFromEnv. Building them
 * reads nothing: the model, the GitHub App key and the secrets behind the deployment resources
 * are read on first use, so a step (smoke-test, ask-for-secret) that never uses one needs no
 * permission for it, and IAM (cdk/lib/constructs/devops-pipeline.ts) grants none.
 */
export function devopsPortsFromEnv(runtime: Runtime): DevopsStepPorts {
  const { inventory, resources } = buildDeploymentResources(runtime);
  return { ...pipelinePortsFromEnv(runtime), resources, inventory };
}
