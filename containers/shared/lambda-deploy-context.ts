import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { type DeployContext, DeployContextError, parseDeployContext } from './deploy-context.ts';

/**
 * The deploy context in AWS: the same `job-context` Lambda as the token broker (only worker task
 * roles may invoke it), asked with `purpose: 'deploy'`. It answers only for a run that is still
 * going. As in lambda-token-broker.ts, the proof is the caller's role; no task token is sent.
 */
export function lambdaDeployContext(options: {
  client: Pick<LambdaClient, 'send'>;
  functionName: string;
  runName: string;
  projectId: string;
}): () => Promise<DeployContext> {
  return async () => {
    const result = await options.client
      .send(
        new InvokeCommand({
          FunctionName: options.functionName,
          Payload: new TextEncoder().encode(
            JSON.stringify({ runName: options.runName, projectId: options.projectId, purpose: 'deploy' }),
          ),
        }),
      )
      .catch((error: unknown) => {
        throw new DeployContextError(
          `Job context unreachable: ${error instanceof Error ? error.name : 'error'}`,
        );
      });
    if (result.FunctionError) throw new DeployContextError(`Job context refused: ${result.FunctionError}`);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(result.Payload ?? new Uint8Array()));
    } catch {
      throw new DeployContextError('Job context answered something that is not JSON');
    }
    return parseDeployContext(body);
  };
}
