import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { RepositoryNotFoundError, type RepositoryToken, type TokenAccess } from '../../ports/git-host.ts';
import type { SecretStore } from '../../ports/secrets.ts';
import { OCTOKIT_LOG, OctokitGitHost, statusOf, TOKEN_PERMISSIONS } from './octokit-git-host.ts';

export interface GitHubAppHostOptions {
  /** The organisation the App is installed on; every repository lives there. */
  org: string;
  appId: number | string;
  installationId: number;
  secrets: SecretStore;
  /** Name in `secrets` of the App's PEM private key. */
  privateKeySecret: string;
  /** REST API root; GitHub's by default, the local server's `<url>/api/v3` in tests. */
  baseUrl?: string;
}

/**
 * GitHost on GitHub through a GitHub App. The REST client acts as the installation (repository
 * creation and branch protection need Administration write); tokens handed to workers are narrowed
 * to one repository and the permissions of their access level.
 */
export class GitHubAppHost extends OctokitGitHost {
  private octokit: Promise<Octokit> | undefined;

  constructor(private readonly options: GitHubAppHostOptions) {
    super(options.org);
  }

  async repositoryToken(name: string, access: TokenAccess): Promise<RepositoryToken> {
    const octokit = await this.client();
    try {
      const auth = (await octokit.auth({
        type: 'installation',
        installationId: this.options.installationId,
        repositoryNames: [name],
        permissions: TOKEN_PERMISSIONS[access],
        // auth-app would hand back a cached token for up to 59 minutes, leaving a worker minutes;
        // each caller gets a full hour instead.
        refresh: true,
      })) as { token: string; expiresAt: string };
      return { token: auth.token, expiresAt: auth.expiresAt };
    } catch (error) {
      // GitHub's answer when a named repository does not exist or the App cannot reach it.
      if (statusOf(error) === 422) throw new RepositoryNotFoundError(`${this.org}/${name}`);
      throw error;
    }
  }

  protected client(): Promise<Octokit> {
    // Built once, on first use, because the key is read from the secret store; a failed read is
    // retried on the next call rather than cached.
    this.octokit ??= this.build().catch((error: unknown) => {
      this.octokit = undefined;
      throw error;
    });
    return this.octokit;
  }

  private async build(): Promise<Octokit> {
    const privateKey = await this.options.secrets.get(this.options.privateKeySecret);
    return new Octokit({
      authStrategy: createAppAuth,
      auth: { appId: this.options.appId, privateKey, installationId: this.options.installationId },
      log: OCTOKIT_LOG,
      ...(this.options.baseUrl ? { baseUrl: this.options.baseUrl } : {}),
    });
  }
}
