import middy from '@middy/core';
import { buildDevopsSteps, type DevopsStepName } from '../../app/devops-steps.ts';
import { devopsPortsFromEnv } from '../../runtime/devops-ports-from-env.ts';
import { runtimeFromEnv } from '../../runtime/from-env.ts';
import { lambdaObservability } from '../../runtime/lambda-observability.ts';
import { once } from '../../runtime/lazy.ts';

/**
 * One step of the devops state machine as a Lambda (deploy-context: the deployer's broker, which
 * the deployer task invokes itself): the `Payload` in, the step's result out. An error is thrown
 * to Step Functions (or the deployer), whose Retry and Catch decide what happens.
 */
export function devopsStepHandler(step: DevopsStepName) {
  const observability = lambdaObservability(`devops-${step}`);
  const steps = once(() => {
    const runtime = runtimeFromEnv(observability);
    return buildDevopsSteps(runtime, devopsPortsFromEnv(runtime));
  });
  const handler = middy<unknown, unknown>().handler(async (payload) => steps()[step](payload));
  for (const middleware of observability.middlewares) handler.use(middleware);
  return handler;
}
