import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { TokenAccess } from '../../lambdas/ports/git-host.ts';
import { TokenBrokerError } from './token-broker-client.ts';
import type { RepositoryAccess } from './types.ts';

/**
 * The token broker in AWS: the `job-context` Lambda, which only the worker task roles may invoke.
 * It answers only for a run that is still going, with a token for that run's one repository.
 */
export function lambdaTokenBroker(options: {
  client: Pick<LambdaClient, 'send'>;
  functionName: string;
  runName: string;
  /** `org/name`: the repository is named after the project. */
  repository: string;
  access: TokenAccess;
}): RepositoryAccess {
  return {
    async token() {
      const projectId = options.repository.split('/')[1] ?? '';
      const result = await options.client
        .send(
          new InvokeCommand({
            FunctionName: options.functionName,
            Payload: new TextEncoder().encode(
              JSON.stringify({ runName: options.runName, projectId, access: options.access }),
            ),
          }),
        )
        .catch((error: unknown) => {
          throw new TokenBrokerError(
            `Token broker unreachable: ${error instanceof Error ? error.name : 'error'}`,
          );
        });
      if (result.FunctionError) throw new TokenBrokerError(`Token broker refused: ${result.FunctionError}`);
      const body = JSON.parse(new TextDecoder().decode(result.Payload ?? new Uint8Array())) as {
        token?: unknown;
        cloneUrl?: unknown;
        knowledge?: unknown;
      };
      if (typeof body.token !== 'string' || typeof body.cloneUrl !== 'string') {
        throw new TokenBrokerError('Token broker answered without token or cloneUrl');
      }
      return {
        token: body.token,
        cloneUrl: body.cloneUrl,
        // The developer's brief from the project's knowledge (a change or fix), when there is one.
        ...(typeof body.knowledge === 'string' ? { knowledge: body.knowledge } : {}),
      };
    },
  };
}
