import { StepFunctionsPipelines } from '../adapters/aws/step-functions-pipelines.ts';
import type { Config } from '../config/config.ts';
import type { Pipelines } from '../ports/pipelines.ts';

/**
 * The pipelines on Step Functions where PIPELINES_DRIVER=sfn, with the state machines this
 * function was given (ENGINEERING_STATE_MACHINE_ARN, DEVOPS_STATE_MACHINE_ARN): a pipeline it was
 * not given fails with a clear error, as IAM would refuse it anyway. Undefined otherwise (the
 * local stack sets its own runner on the runtime).
 */
export function pipelinesFromConfig(config: Config): Pipelines | undefined {
  if (config.pipelines.driver !== 'sfn') return undefined;
  return new StepFunctionsPipelines({ stateMachineArns: config.pipelines.stateMachineArns });
}
