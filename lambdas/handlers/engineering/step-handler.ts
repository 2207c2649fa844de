import middy from '@middy/core';
import { buildEngineeringSteps, type EngineeringStepName } from '../../app/engineering-steps.ts';
import { engineeringPortsFromEnv } from '../../runtime/engineering-ports-from-env.ts';
import { runtimeFromEnv } from '../../runtime/from-env.ts';
import { lambdaObservability } from '../../runtime/lambda-observability.ts';
import { once } from '../../runtime/lazy.ts';

/**
 * One step of the engineering state machine as a Lambda: Step Functions' `Payload` in, the step's
 * result out. An error is thrown to Step Functions, whose Retry and Catch decide what happens.
 */
export function engineeringStepHandler(step: EngineeringStepName) {
  const observability = lambdaObservability(`engineering-${step}`);
  const steps = once(() => {
    const runtime = runtimeFromEnv(observability);
    return buildEngineeringSteps(runtime, engineeringPortsFromEnv(runtime));
  });
  const handler = middy<unknown, unknown>().handler(async (payload) => steps()[step](payload));
  for (const middleware of observability.middlewares) handler.use(middleware);
  return handler;
}
