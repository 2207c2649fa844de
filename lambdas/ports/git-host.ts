/**
 * Git-host port: where project repositories live. GitHub through a GitHub App (Octokit) in AWS;
 * locally, bare repositories under the data directory served over HTTP by `git http-backend` with
 * the same URL and token shape as GitHub, plus the few REST endpoints the product uses.
 */
export interface Repository {
  /** `owner/name` */
  fullName: string;
  /** Browser link the person is sent. */
  htmlUrl: string;
  /** HTTPS clone URL without credentials. */
  cloneUrl: string;
  defaultBranch: string;
}

export type TokenAccess = 'write' | 'read';

export interface RepositoryToken {
  /** Used as `https://x-access-token:<token>@host/owner/name.git`; never logged or stored. */
  token: string;
  expiresAt: string;
}

export interface PullRequest {
  number: number;
  htmlUrl: string;
  head: string;
  base: string;
  state: 'open' | 'closed' | 'merged';
}

export interface RepositoryFile {
  path: string;
  size: number;
}

/** The newest commit of a branch. */
export interface BranchHead {
  branch: string;
  commit: string;
  /** First line of the commit message. */
  message: string;
  committedAt?: string;
}

/**
 * A commit's checks as one word, from its commit statuses and check runs together: `failure` if any
 * failed, else `pending` if any has not finished, else `success`; `none` when nothing reported.
 */
export type CheckState = 'success' | 'failure' | 'pending' | 'none';

export interface OpenPullRequest {
  number: number;
  title: string;
  htmlUrl: string;
  head: string;
  base: string;
  headCommit: string;
  checks: CheckState;
}

export interface GitHost {
  /** Creates the repository in the configured organisation, or returns it if it exists. */
  ensureRepository(name: string, options: { description: string; private?: boolean }): Promise<Repository>;
  getRepository(name: string): Promise<Repository | undefined>;
  /**
   * A token for this one repository, valid about an hour: `write` = contents and pull requests
   * (workers), `read` = contents only (the tester).
   */
  repositoryToken(name: string, access: TokenAccess): Promise<RepositoryToken>;
  /** Opens a pull request from `head` into `base`, or returns the open one for that head. */
  ensurePullRequest(
    name: string,
    request: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequest>;
  /**
   * Commits files onto a branch (created from the default branch if missing; the first commit of
   * an empty repository creates the default branch) and returns the new commit's SHA.
   */
  commitFiles(
    name: string,
    commit: { branch: string; message: string; files: Record<string, string> },
  ): Promise<{ commit: string }>;
  /**
   * A text file of the repository at a ref (a branch or a commit SHA), or undefined when the ref or
   * the file does not exist. Read by the devops pipeline (the env contract).
   */
  readFile(name: string, path: string, ref: string): Promise<string | undefined>;
  /**
   * Every file of the repository at a commit (path and size in bytes, no directories or
   * submodules), or undefined when the commit does not exist. Read by the knowledge indexer.
   */
  listFiles(name: string, commit: string): Promise<RepositoryFile[] | undefined>;
  /** The default branch's newest commit; undefined while the repository has no commit. */
  defaultBranchHead(name: string): Promise<BranchHead | undefined>;
  /** Open pull requests, newest first, each with the combined check state of its head commit. */
  openPullRequests(name: string): Promise<OpenPullRequest[]>;
  /** Protects the default branch where the plan allows it; returns false where it does not. */
  protectDefaultBranch(name: string): Promise<boolean>;
}

export class RepositoryNotFoundError extends Error {
  constructor(readonly repository: string) {
    super(`Repository ${repository} not found`);
    this.name = 'RepositoryNotFoundError';
  }
}

/** A pull request names a head or base branch that the repository does not have. */
export class BranchNotFoundError extends Error {
  constructor(
    readonly repository: string,
    readonly branch: string,
  ) {
    super(`Branch ${branch} not found in ${repository}`);
    this.name = 'BranchNotFoundError';
  }
}
