import { Octokit } from '@octokit/rest';
import { RepositoryNotFoundError, type RepositoryToken, type TokenAccess } from '../../ports/git-host.ts';
import { OCTOKIT_LOG, OctokitGitHost, statusOf, TOKEN_PERMISSIONS } from '../github/octokit-git-host.ts';

export interface LocalGitHostOptions {
  /** The local git server's root, `http://127.0.0.1:PORT`. */
  url: string;
  org: string;
  /** The server's REST admin token (it stands in for the App). */
  adminToken: string;
  installationId?: number;
}

/**
 * GitHost on the local git server (see git-http-server.ts). It talks to the server's GitHub-shaped
 * REST API with Octokit, so the same calls run locally as on GitHub; `new LocalGitHost(server)`
 * works with the object startLocalGitServer returns.
 */
export class LocalGitHost extends OctokitGitHost {
  private readonly octokit: Octokit;
  private readonly installationId: number;

  constructor(options: LocalGitHostOptions) {
    super(options.org);
    this.octokit = new Octokit({
      auth: options.adminToken,
      baseUrl: `${options.url}/api/v3`,
      log: OCTOKIT_LOG,
    });
    this.installationId = options.installationId ?? 1;
  }

  async repositoryToken(name: string, access: TokenAccess): Promise<RepositoryToken> {
    try {
      const { data } = await this.octokit.apps.createInstallationAccessToken({
        installation_id: this.installationId,
        repositories: [name],
        permissions: TOKEN_PERMISSIONS[access],
      });
      return { token: data.token, expiresAt: data.expires_at };
    } catch (error) {
      if (statusOf(error) === 422) throw new RepositoryNotFoundError(`${this.org}/${name}`);
      throw error;
    }
  }

  protected async client(): Promise<Octokit> {
    return this.octokit;
  }
}
