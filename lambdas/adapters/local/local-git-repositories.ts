import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { plumbing } from './git-plumbing.ts';
import { JsonStateFile } from './json-state-file.ts';

const run = promisify(execFile);

export interface PullRecord {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  createdAt: string;
}

/** A commit status as GitHub keeps it (POST /repos/{owner}/{repo}/statuses/{sha}). */
export interface StatusRecord {
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  target_url: string | null;
  created_at: string;
}

export interface RepositoryRecord {
  id: number;
  name: string;
  description: string;
  private: boolean;
  createdAt: string;
  pulls: PullRecord[];
  /** Branch -> the protection body it was given, as GitHub keeps it. */
  protections: Record<string, unknown>;
  /** Commit SHA -> its statuses, newest last (absent in state files written before statuses). */
  statuses?: Record<string, StatusRecord[]>;
}

interface State {
  v: 1;
  nextId: number;
  repositories: Record<string, RepositoryRecord>;
}

// GitHub's rule for repository names, minus the names git or the file system treat specially.
const REPOSITORY_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function isRepositoryName(name: string): boolean {
  return REPOSITORY_NAME.test(name) && !name.startsWith('.') && !name.toLowerCase().endsWith('.git');
}

/**
 * The local git server's repositories: bare repositories under `<gitRoot>/<org>/<name>.git`, and
 * what GitHub keeps beside git (description, visibility, pull requests, branch protections) in
 * `state.json`.
 */
export class LocalGitRepositories {
  private readonly state: JsonStateFile<State>;

  constructor(
    readonly gitRoot: string,
    readonly org: string,
    stateFile: string,
  ) {
    this.state = new JsonStateFile(stateFile, () => ({ v: 1, nextId: 1, repositories: {} }));
  }

  get(name: string): RepositoryRecord | undefined {
    return Object.hasOwn(this.state.read().repositories, name)
      ? this.state.read().repositories[name]
      : undefined;
  }

  bareDir(name: string): string {
    return join(this.gitRoot, this.org, `${name}.git`);
  }

  /**
   * Creates a bare repository whose HEAD is `main`, empty or (`autoInit`) with a first commit of a
   * README on main, as GitHub's `auto_init`; undefined when the name is taken.
   */
  create(
    name: string,
    meta: { description: string; private: boolean; autoInit?: boolean },
  ): Promise<RepositoryRecord | undefined> {
    return this.state.update(async (state) => {
      if (Object.hasOwn(state.repositories, name)) return undefined;
      await mkdir(join(this.gitRoot, this.org), { recursive: true, mode: 0o700 });
      await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', this.bareDir(name)]);
      if (meta.autoInit) await initialCommit(this.bareDir(name), name, meta.description);
      const { autoInit: _autoInit, ...kept } = meta;
      const record: RepositoryRecord = {
        id: state.nextId++,
        name,
        ...kept,
        createdAt: new Date().toISOString(),
        pulls: [],
        protections: {},
      };
      state.repositories[name] = record;
      return record;
    });
  }

  /** A file's bytes at a ref (branch or commit), or undefined when the ref or the path is absent. */
  async readFile(name: string, ref: string, path: string): Promise<Buffer | undefined> {
    if (!/^[\w./-]+$/.test(ref) || ref.startsWith('-') || path.split('/').includes('..')) return undefined;
    try {
      const { stdout } = await run('git', ['cat-file', 'blob', `${ref}:${path}`], {
        cwd: this.bareDir(name),
        encoding: 'buffer',
        maxBuffer: 1024 * 1024,
      });
      return stdout as unknown as Buffer;
    } catch {
      return undefined;
    }
  }

  async hasBranch(name: string, branch: string): Promise<boolean> {
    try {
      await run('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
        cwd: this.bareDir(name),
      });
      return true;
    } catch {
      return false;
    }
  }

  /** A branch's newest commit, or undefined when the branch does not exist. */
  async branchHead(
    name: string,
    branch: string,
  ): Promise<{ sha: string; message: string; date: string } | undefined> {
    if (!/^[\w./-]+$/.test(branch) || branch.startsWith('-')) return undefined;
    try {
      const { stdout } = await run('git', ['log', '-1', '--format=%H%x00%B%x00%cI', `refs/heads/${branch}`], {
        cwd: this.bareDir(name),
      });
      const [sha = '', message = '', date = ''] = stdout.split('\0');
      return sha ? { sha, message: message.trim(), date: date.trim() } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records a status of a commit; a later status of the same context replaces it in the combined view. */
  addStatus(name: string, sha: string, status: Omit<StatusRecord, 'created_at'>): Promise<StatusRecord> {
    return this.state.update((state) => {
      const repository = state.repositories[name]!;
      const record: StatusRecord = { ...status, created_at: new Date().toISOString() };
      repository.statuses ??= {};
      repository.statuses[sha] = [...(repository.statuses[sha] ?? []), record];
      return record;
    });
  }

  statusesOf(name: string, sha: string): StatusRecord[] {
    return this.get(name)?.statuses?.[sha] ?? [];
  }

  /** Records an open pull request; undefined when one is already open for that head (as GitHub's 422). */
  addPull(
    name: string,
    pull: Omit<PullRecord, 'number' | 'state' | 'createdAt'>,
  ): Promise<PullRecord | undefined> {
    return this.state.update((state) => {
      const repository = state.repositories[name]!;
      if (repository.pulls.some((p) => p.state === 'open' && p.head === pull.head)) return undefined;
      const record: PullRecord = {
        ...pull,
        number: repository.pulls.length + 1,
        state: 'open',
        createdAt: new Date().toISOString(),
      };
      repository.pulls.push(record);
      return record;
    });
  }

  protect(name: string, branch: string, protection: unknown): Promise<void> {
    return this.state.update((state) => {
      state.repositories[name]!.protections[branch] = protection;
    });
  }
}

/** A README commit on main, made with plumbing (no work tree): what GitHub's auto_init makes. */
async function initialCommit(gitDir: string, name: string, description: string): Promise<void> {
  const readme = `# ${name}\n${description ? `\n${description}\n` : ''}`;
  const blob = (await plumbing(gitDir, ['hash-object', '-w', '--stdin'], { input: readme }))
    .toString()
    .trim();
  const tree = (await plumbing(gitDir, ['mktree'], { input: `100644 blob ${blob}\tREADME.md\n` }))
    .toString()
    .trim();
  const env = {
    GIT_AUTHOR_NAME: 'local-app[bot]',
    GIT_AUTHOR_EMAIL: 'local-app[bot]@users.noreply.localhost',
    GIT_COMMITTER_NAME: 'local-app[bot]',
    GIT_COMMITTER_EMAIL: 'local-app[bot]@users.noreply.localhost',
  };
  const commit = (await plumbing(gitDir, ['commit-tree', tree], { input: 'Initial commit', env }))
    .toString()
    .trim();
  await plumbing(gitDir, ['update-ref', 'refs/heads/main', commit, '']);
}
