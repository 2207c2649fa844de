import type { Octokit } from '@octokit/rest';
import {
  type BranchHead,
  BranchNotFoundError,
  type CheckState,
  type GitHost,
  type OpenPullRequest,
  type PullRequest,
  type Repository,
  type RepositoryFile,
  RepositoryNotFoundError,
  type RepositoryToken,
  type TokenAccess,
} from '../../ports/git-host.ts';

/** Installation-token permissions per access level: least privilege for each kind of worker. */
export const TOKEN_PERMISSIONS = {
  write: { contents: 'write', pull_requests: 'write', metadata: 'read' },
  read: { contents: 'read', metadata: 'read' },
} as const satisfies Record<TokenAccess, Record<string, 'read' | 'write'>>;

/**
 * Octokit's logger for these hosts. Its request log reports every failed call as an error, but a
 * 404 or 422 here is often the expected answer (a repository not created yet); failures reach the
 * caller as exceptions anyway. Warnings (deprecations) still show.
 */
export const OCTOKIT_LOG = {
  debug: () => undefined,
  info: () => undefined,
  warn: console.warn,
  error: () => undefined,
};

/**
 * Protection for the default branch: no force pushes, no deletion. Reviews and status checks are
 * left off, since the pipeline's own agents open and merge the pull requests.
 */
const DEFAULT_BRANCH_PROTECTION = {
  required_status_checks: null,
  enforce_admins: false,
  required_pull_request_reviews: null,
  restrictions: null,
  allow_force_pushes: false,
  allow_deletions: false,
};

/**
 * GitHost over GitHub's REST API. Subclasses say how the client authenticates and how a
 * repository-scoped token is minted; the REST calls are the same for GitHub and the local server.
 */
export abstract class OctokitGitHost implements GitHost {
  constructor(protected readonly org: string) {}

  /**
   * GitHub's Git Data API refuses to work on an empty repository, so repositories are created with
   * an initial commit there; the local server's clone-and-push needs no such thing.
   */
  protected readonly autoInit: boolean = true;

  protected abstract client(): Promise<Octokit>;
  abstract repositoryToken(name: string, access: TokenAccess): Promise<RepositoryToken>;

  async ensureRepository(name: string, options: { description: string; private?: boolean }) {
    const existing = await this.getRepository(name);
    if (existing) return existing;
    const octokit = await this.client();
    try {
      const { data } = await octokit.repos.createInOrg({
        org: this.org,
        name,
        description: options.description,
        private: options.private ?? true,
        auto_init: this.autoInit,
      });
      return toRepository(data);
    } catch (error) {
      // Someone created it since the look-up: theirs is the one.
      if (statusOf(error) !== 422) throw error;
      const raced = await this.getRepository(name);
      if (!raced) throw error;
      return raced;
    }
  }

  async getRepository(name: string): Promise<Repository | undefined> {
    const octokit = await this.client();
    try {
      const { data } = await octokit.repos.get({ owner: this.org, repo: name });
      return toRepository(data);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async ensurePullRequest(
    name: string,
    request: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequest> {
    const open = await this.openPullRequest(name, request.head);
    if (open) return open;
    const octokit = await this.client();
    try {
      const { data } = await octokit.pulls.create({ owner: this.org, repo: name, ...request });
      return toPullRequest(data);
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) throw new RepositoryNotFoundError(`${this.org}/${name}`);
      if (status !== 422) throw error;
      // Opened concurrently by someone else, or a branch that does not exist.
      const raced = await this.openPullRequest(name, request.head);
      if (raced) return raced;
      const field = invalidField(error);
      if (field === 'head' || field === 'base')
        throw new BranchNotFoundError(`${this.org}/${name}`, request[field]);
      throw error;
    }
  }

  /**
   * One commit of many files through the Git Data API (no git binary in a Lambda): a tree on top
   * of the branch's head (or the default branch's, for a new branch), a commit, the ref moved.
   */
  async commitFiles(
    name: string,
    commit: { branch: string; message: string; files: Record<string, string> },
  ): Promise<{ commit: string }> {
    // Refused before any call, in the same words as a commit made with git (local-git-host.ts).
    const outside = Object.keys(commit.files).find((path) => !isPlainPath(path));
    if (outside !== undefined) throw new Error(`Refusing to write outside the working tree: ${outside}`);
    const repository = await this.getRepository(name);
    if (!repository) throw new RepositoryNotFoundError(`${this.org}/${name}`);
    const octokit = await this.client();
    const owner = this.org;
    const head = async (branch: string) => {
      try {
        const { data } = await octokit.git.getRef({ owner, repo: name, ref: `heads/${branch}` });
        return data.object.sha;
      } catch (error) {
        if (statusOf(error) === 404 || statusOf(error) === 409) return undefined;
        throw error;
      }
    };
    const branchHead = await head(commit.branch);
    const parent = branchHead ?? (await head(repository.defaultBranch));
    if (!parent) throw new BranchNotFoundError(`${owner}/${name}`, repository.defaultBranch);
    const { data: parentCommit } = await octokit.git.getCommit({ owner, repo: name, commit_sha: parent });
    const { data: tree } = await octokit.git.createTree({
      owner,
      repo: name,
      base_tree: parentCommit.tree.sha,
      tree: Object.entries(commit.files).map(([path, content]) => ({
        path,
        mode: '100644',
        type: 'blob',
        content,
      })),
    });
    const { data: created } = await octokit.git.createCommit({
      owner,
      repo: name,
      message: commit.message,
      tree: tree.sha,
      parents: [parent],
    });
    if (branchHead) {
      await octokit.git.updateRef({ owner, repo: name, ref: `heads/${commit.branch}`, sha: created.sha });
    } else {
      await octokit.git.createRef({
        owner,
        repo: name,
        ref: `refs/heads/${commit.branch}`,
        sha: created.sha,
      });
    }
    return { commit: created.sha };
  }

  async readFile(name: string, path: string, ref: string): Promise<string | undefined> {
    const octokit = await this.client();
    try {
      const { data } = await octokit.repos.getContent({ owner: this.org, repo: name, path, ref });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
      return Buffer.from(data.content, 'base64').toString('utf8');
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listFiles(name: string, commit: string): Promise<RepositoryFile[] | undefined> {
    const octokit = await this.client();
    try {
      const { data } = await octokit.git.getTree({
        owner: this.org,
        repo: name,
        tree_sha: commit,
        recursive: 'true',
      });
      // GitHub cuts a recursive listing at 100,000 entries / 7 MB: far beyond a generated project.
      if (data.truncated) throw new Error(`The file list of ${name} at ${commit} is truncated`);
      return data.tree.flatMap((entry) =>
        entry.type === 'blob' && entry.path ? [{ path: entry.path, size: entry.size ?? 0 }] : [],
      );
    } catch (error) {
      // 404: no such commit (or repository); 409: the repository is empty; 422: not a commit SHA.
      const status = statusOf(error);
      if (status === 404 || status === 409 || status === 422) return undefined;
      throw error;
    }
  }

  async protectDefaultBranch(name: string): Promise<boolean> {
    const repository = await this.getRepository(name);
    if (!repository) throw new RepositoryNotFoundError(`${this.org}/${name}`);
    const octokit = await this.client();
    try {
      await octokit.repos.updateBranchProtection({
        owner: this.org,
        repo: name,
        branch: repository.defaultBranch,
        ...DEFAULT_BRANCH_PROTECTION,
      });
      return true;
    } catch (error) {
      // 403: the plan has no protection for this repository; 404: also the answer for a default
      // branch that has no commit yet, so protect after the first push.
      const status = statusOf(error);
      if (status === 403 || status === 404) return false;
      throw error;
    }
  }

  async defaultBranchHead(name: string): Promise<BranchHead | undefined> {
    const repository = await this.getRepository(name);
    if (!repository) throw new RepositoryNotFoundError(`${this.org}/${name}`);
    const octokit = await this.client();
    try {
      const { data } = await octokit.repos.getBranch({
        owner: this.org,
        repo: name,
        branch: repository.defaultBranch,
      });
      const committedAt = data.commit.commit.committer?.date ?? data.commit.commit.author?.date;
      return {
        branch: data.name,
        commit: data.commit.sha,
        message: data.commit.commit.message.split('\n')[0] ?? '',
        ...(committedAt ? { committedAt } : {}),
      };
    } catch (error) {
      // 404: an empty repository has no default branch yet.
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async openPullRequests(name: string): Promise<OpenPullRequest[]> {
    const octokit = await this.client();
    let pulls: Awaited<ReturnType<Octokit['pulls']['list']>>['data'];
    try {
      pulls = (await octokit.pulls.list({ owner: this.org, repo: name, state: 'open', per_page: 50 })).data;
    } catch (error) {
      if (statusOf(error) === 404) throw new RepositoryNotFoundError(`${this.org}/${name}`);
      throw error;
    }
    return Promise.all(
      pulls.map(async (pull) => ({
        number: pull.number,
        title: pull.title,
        htmlUrl: pull.html_url,
        head: pull.head.ref,
        base: pull.base.ref,
        headCommit: pull.head.sha,
        checks: await this.checkState(name, pull.head.sha),
      })),
    );
  }

  /** Commit statuses (the combined status) and check runs of a commit, as one state. */
  private async checkState(name: string, ref: string): Promise<CheckState> {
    const octokit = await this.client();
    const [{ data: combined }, { data: runs }] = await Promise.all([
      octokit.repos.getCombinedStatusForRef({ owner: this.org, repo: name, ref }),
      octokit.checks.listForRef({ owner: this.org, repo: name, ref, per_page: 100 }),
    ]);
    const states: CheckState[] = [
      // GitHub answers `pending` for a commit with no status at all: that is no check, not a wait.
      ...(combined.total_count > 0 ? [combined.state as CheckState] : []),
      ...runs.check_runs.map((run): CheckState => {
        if (run.status !== 'completed') return 'pending';
        return ['success', 'neutral', 'skipped'].includes(run.conclusion ?? '') ? 'success' : 'failure';
      }),
    ];
    return combineChecks(states);
  }

  private async openPullRequest(name: string, head: string): Promise<PullRequest | undefined> {
    const octokit = await this.client();
    try {
      const { data } = await octokit.pulls.list({
        owner: this.org,
        repo: name,
        head: `${this.org}:${head}`,
        state: 'open',
      });
      return data[0] ? toPullRequest(data[0]) : undefined;
    } catch (error) {
      if (statusOf(error) === 404) throw new RepositoryNotFoundError(`${this.org}/${name}`);
      throw error;
    }
  }
}

/** A path inside the repository: relative, of plain components (no `..`, `.`, `.git`, or empty ones). */
function isPlainPath(path: string): boolean {
  return (
    path !== '' &&
    !path.startsWith('/') &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && part !== '.git')
  );
}

/** Several checks as one state: any failure, else any pending, else success; none for no checks. */
export function combineChecks(states: CheckState[]): CheckState {
  if (states.length === 0) return 'none';
  if (states.includes('failure')) return 'failure';
  if (states.includes('pending')) return 'pending';
  return 'success';
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function invalidField(error: unknown): string | undefined {
  const errors = (error as { response?: { data?: { errors?: Array<{ field?: string; code?: string }> } } })
    .response?.data?.errors;
  return errors?.find((e) => e.code === 'invalid')?.field;
}

function toRepository(data: {
  full_name: string;
  html_url: string;
  clone_url?: string;
  default_branch?: string;
}): Repository {
  return {
    fullName: data.full_name,
    htmlUrl: data.html_url,
    cloneUrl: data.clone_url ?? `${data.html_url}.git`,
    defaultBranch: data.default_branch ?? 'main',
  };
}

function toPullRequest(data: {
  number: number;
  html_url: string;
  state: string;
  merged_at: string | null;
  head: { ref: string };
  base: { ref: string };
}): PullRequest {
  return {
    number: data.number,
    htmlUrl: data.html_url,
    head: data.head.ref,
    base: data.base.ref,
    state: data.merged_at ? 'merged' : data.state === 'open' ? 'open' : 'closed',
  };
}
