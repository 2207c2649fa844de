import { Octokit } from '@octokit/rest';
import { RepositoryNotFoundError, type RepositoryToken, type TokenAccess } from '../../ports/git-host.ts';
import { OCTOKIT_LOG, OctokitGitHost, statusOf, TOKEN_PERMISSIONS } from '../github/octokit-git-host.ts';
import { commitWithGit } from './git-commit.ts';

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
  protected override readonly autoInit = false;
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

  /**
   * Locally a commit is made the way a worker makes one: real git over the server's smart HTTP
   * with a write token (the local server has no Git Data API), in a throwaway working tree.
   */
  override async commitFiles(
    name: string,
    commit: { branch: string; message: string; files: Record<string, string> },
  ): Promise<{ commit: string }> {
    const repository = await this.getRepository(name);
    if (!repository) throw new RepositoryNotFoundError(`${this.org}/${name}`);
    const { token } = await this.repositoryToken(name, 'write');
    return commitWithGit(repository, token, commit);
  }
}
