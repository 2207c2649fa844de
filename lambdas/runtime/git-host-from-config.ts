import { GitHubAppHost } from '../adapters/github/github-app-host.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { Runtime } from './runtime.ts';

/** The GitHub App host the configuration names (GIT_HOST_DRIVER=github), or none. Reads nothing yet. */
export function gitHostFromConfig(runtime: Pick<Runtime, 'config' | 'secrets'>): GitHost | undefined {
  const { gitHost } = runtime.config;
  if (gitHost.driver !== 'github') return undefined;
  return new GitHubAppHost({
    org: gitHost.org,
    appId: gitHost.appId,
    installationId: Number(gitHost.installationId),
    secrets: runtime.secrets,
    privateKeySecret: gitHost.appKeySecretId,
    baseUrl: gitHost.apiUrl,
  });
}
