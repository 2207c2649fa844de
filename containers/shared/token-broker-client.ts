import type { TokenAccess } from '../../lambdas/ports/git-host.ts';
import type { RepositoryAccess } from './types.ts';

export class TokenBrokerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenBrokerError';
  }
}

/**
 * The token broker over HTTP: `POST <url>` with `{ runName, repository, access }` and the task
 * token as proof of a live task (`x-task-token`), answered `{ token, cloneUrl }`. The broker
 * checks that the run is live and hands out a token scoped to that one repository.
 */
export function httpTokenBroker(options: {
  url: string;
  taskToken: string;
  runName: string;
  repository: string;
  access: TokenAccess;
  timeoutMs?: number;
}): RepositoryAccess {
  return {
    async token() {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-task-token': options.taskToken },
        body: JSON.stringify({
          runName: options.runName,
          repository: options.repository,
          access: options.access,
        }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      }).catch((error: unknown) => {
        throw new TokenBrokerError(`Token broker unreachable: ${String(error)}`);
      });
      if (!response.ok) throw new TokenBrokerError(`Token broker answered ${response.status}`);
      const body = (await response.json()) as { token?: unknown; cloneUrl?: unknown; knowledge?: unknown };
      if (typeof body.token !== 'string' || typeof body.cloneUrl !== 'string') {
        throw new TokenBrokerError('Token broker answered without token or cloneUrl');
      }
      return {
        token: body.token,
        cloneUrl: body.cloneUrl,
        ...(typeof body.knowledge === 'string' ? { knowledge: body.knowledge } : {}),
      };
    },
  };
}
