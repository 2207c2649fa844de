import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubAppHost } from '../../lambdas/adapters/github/github-app-host.ts';
import { TOKEN_PERMISSIONS } from '../../lambdas/adapters/github/octokit-git-host.ts';
import { type LocalGitServer, startLocalGitServer } from '../../lambdas/adapters/local/git-http-server.ts';
import { LocalGitHost } from '../../lambdas/adapters/local/local-git-host.ts';
import { BranchNotFoundError, type GitHost, RepositoryNotFoundError } from '../../lambdas/ports/git-host.ts';
import { SecretNotFoundError } from '../../lambdas/ports/secrets.ts';
import { GitCli, withToken } from '../support/git-cli.ts';
import { MemorySecrets } from '../support/memory-secrets.ts';

/**
 * One suite, two GitHosts, one kind of server: LocalGitHost, and the GitHub App adapter pointed at
 * the local server's GitHub-shaped API (it signs App JWTs with a key pair made here, which the
 * server verifies before minting installation tokens). Clones and pushes are real `git` over HTTP
 * through `git http-backend`. The server runs on a plan without protection for private repositories.
 */
const ORG = 'acme';
const APP_ID = 4242;
const INSTALLATION_ID = 77;
const HOUR_MS = 60 * 60 * 1000;

class OffsetClock {
  offsetMs = 0;
  now = (): number => Date.now() + this.offsetMs;
}

const appKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  // GitHub hands out App keys as PKCS#1 PEM.
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

class CountingSecrets extends MemorySecrets {
  readonly reads: string[] = [];

  override get(name: string): Promise<string> {
    this.reads.push(name);
    return super.get(name);
  }
}

interface Subject {
  name: string;
  /** false: it creates repositories with GitHub's auto_init (a README commit on main). */
  createsEmpty: boolean;
  host(server: LocalGitServer): Promise<GitHost>;
}

const subjects: Subject[] = [
  { name: 'LocalGitHost', createsEmpty: true, host: async (server) => new LocalGitHost(server) },
  {
    name: 'GitHubAppHost on the local server',
    createsEmpty: false,
    host: async (server) => {
      const secrets = new MemorySecrets();
      await secrets.put('github/app-private-key', appKeys.privateKey);
      return new GitHubAppHost({
        org: ORG,
        appId: APP_ID,
        installationId: INSTALLATION_ID,
        secrets,
        privateKeySecret: 'github/app-private-key',
        baseUrl: server.apiUrl,
      });
    },
  },
];

async function startServer(dataDir: string, clock: OffsetClock): Promise<LocalGitServer> {
  return startLocalGitServer({
    dataDir,
    org: ORG,
    app: { appId: APP_ID, publicKey: appKeys.publicKey },
    installationId: INSTALLATION_ID,
    plan: 'free',
    now: clock.now,
  });
}

describe.each(subjects)('GitHost contract: $name', (subject) => {
  const clock = new OffsetClock();
  let dataDir: string;
  let server: LocalGitServer;
  let host: GitHost;
  let git: GitCli;
  let work: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'git-host-'));
    server = await startServer(dataDir, clock);
    host = await subject.host(server);
    git = await GitCli.create();
  });

  afterAll(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    clock.offsetMs = 0;
    work = await mkdtemp(join(tmpdir(), 'git-work-'));
  });

  const uniqueName = () => `project-${randomUUID().slice(0, 8)}`;
  const bare = (name: string) => join(dataDir, 'git', ORG, `${name}.git`);
  const serverState = async () => JSON.parse(await readFile(join(dataDir, 'git-host', 'state.json'), 'utf8'));

  /** Creates the repository and pushes a commit to `main` and to each of `branches`. */
  async function seeded(name: string, options: { private?: boolean; branches?: string[] } = {}) {
    const repository = await host.ensureRepository(name, { description: 'seeded', ...options });
    const { token } = await host.repositoryToken(name, 'write');
    const dir = join(work, `seed-${name}`);
    await git.ok(['clone', '--quiet', withToken(repository.cloneUrl, token), dir]);
    await git.ok(['commit', '--quiet', '--allow-empty', '-m', 'initial'], dir);
    await git.ok(['push', '--quiet', 'origin', 'HEAD:main'], dir);
    for (const branch of options.branches ?? []) {
      await git.ok(['commit', '--quiet', '--allow-empty', '-m', `work on ${branch}`], dir);
      await git.ok(['push', '--quiet', 'origin', `HEAD:${branch}`], dir);
    }
    return repository;
  }

  /** Status of the smart-HTTP ref advertisement for a service, as git's first request sees it. */
  async function advertisement(cloneUrl: string, service: string, token?: string) {
    const headers: Record<string, string> = token
      ? { authorization: `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` }
      : {};
    const response = await fetch(`${cloneUrl}/info/refs?service=${service}`, { headers });
    await response.arrayBuffer();
    return response;
  }

  describe('ensureRepository and getRepository', () => {
    it('creates the repository once, with GitHub URL shapes and main as default branch', async () => {
      // Prepare
      const name = uniqueName();

      // Act
      const first = await host.ensureRepository(name, { description: 'A shop' });
      const second = await host.ensureRepository(name, { description: 'Another description' });

      // Assess
      expect(first).toStrictEqual({
        fullName: `${ORG}/${name}`,
        htmlUrl: `${server.url}/${ORG}/${name}`,
        cloneUrl: `${server.url}/${ORG}/${name}.git`,
        defaultBranch: 'main',
      });
      expect(second).toStrictEqual(first);
      expect(await host.getRepository(name)).toStrictEqual(first);
      expect(await git.ok(['--git-dir', bare(name), 'symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
      const stored = (await serverState()).repositories[name];
      expect(stored).toMatchObject({ description: 'A shop', private: true });
    });

    it('returns undefined for a repository that does not exist', async () => {
      // Act
      const repository = await host.getRepository(uniqueName());

      // Assess
      expect(repository).toBeUndefined();
    });

    it('lets exactly one repository come of concurrent ensureRepository calls', async () => {
      // Prepare
      const name = uniqueName();

      // Act
      const results = await Promise.all(
        [1, 2, 3].map(() => host.ensureRepository(name, { description: 'x' })),
      );

      // Assess
      expect(new Set(results.map((r) => r.cloneUrl)).size).toBe(1);
    });
  });

  describe('repositoryToken and git over HTTP', () => {
    it('lets a write token clone the empty repository, commit and push to it', async () => {
      // Prepare
      const name = uniqueName();
      const repository = await host.ensureRepository(name, { description: 'x' });
      const { token, expiresAt } = await host.repositoryToken(name, 'write');
      const dir = join(work, 'clone');

      // Act
      await git.ok(['clone', '--quiet', withToken(repository.cloneUrl, token), dir]);
      await git.ok(['commit', '--quiet', '--allow-empty', '-m', 'First commit from a worker'], dir);
      await git.ok(['push', '--quiet', 'origin', 'HEAD:main'], dir);

      // Assess
      expect(await git.ok(['--git-dir', bare(name), 'log', '-1', '--format=%s', 'main'])).toBe(
        'First commit from a worker',
      );
      const lifetime = Date.parse(expiresAt) - Date.now();
      expect(lifetime).toBeGreaterThan(HOUR_MS - 60_000);
      expect(lifetime).toBeLessThanOrEqual(HOUR_MS);
    });

    it("pushes a pack larger than git's 1 MiB post buffer (a chunked request body)", async () => {
      // Prepare
      const name = uniqueName();
      const repository = await seeded(name);
      const { token } = await host.repositoryToken(name, 'write');
      const dir = join(work, 'big');
      await git.ok(['clone', '--quiet', withToken(repository.cloneUrl, token), dir]);
      await writeFile(join(dir, 'big.bin'), randomBytes(3 * 1024 * 1024));
      await git.ok(['add', 'big.bin'], dir);
      await git.ok(['commit', '--quiet', '-m', 'A large file'], dir);

      // Act
      await git.ok(['push', '--quiet', 'origin', 'HEAD:main'], dir);

      // Assess
      expect(await git.ok(['--git-dir', bare(name), 'cat-file', '-s', 'main:big.bin'])).toBe(
        String(3 * 1024 * 1024),
      );
    });

    it('mints a fresh token, valid about an hour, on every call', async () => {
      // Prepare
      const name = uniqueName();
      await host.ensureRepository(name, { description: 'x' });

      // Act
      const first = await host.repositoryToken(name, 'write');
      const second = await host.repositoryToken(name, 'write');

      // Assess
      expect(second.token).not.toBe(first.token);
      expect(Date.parse(second.expiresAt) - Date.now()).toBeGreaterThan(HOUR_MS - 60_000);
    });

    it.each(['write', 'read'] as const)(
      'has the server mint a %s token for exactly that repository and those permissions',
      async (access) => {
        // Prepare
        const name = uniqueName();
        await host.ensureRepository(name, { description: 'x' });

        // Act
        await host.repositoryToken(name, access);

        // Assess
        const grants = Object.values(
          JSON.parse(await readFile(join(dataDir, 'git-host', 'tokens.json'), 'utf8')),
        );
        expect(grants).toContainEqual(
          expect.objectContaining({ repositories: [name], permissions: TOKEN_PERMISSIONS[access] }),
        );
      },
    );

    it('lets a read token clone and fetch but refuses its push with 403', async () => {
      // Prepare
      const name = uniqueName();
      const repository = await seeded(name);
      const { token } = await host.repositoryToken(name, 'read');
      const dir = join(work, 'reader');

      // Act
      await git.ok(['clone', '--quiet', withToken(repository.cloneUrl, token), dir]);
      await git.ok(['fetch', '--quiet', 'origin'], dir);
      await git.ok(['commit', '--quiet', '--allow-empty', '-m', 'should not land'], dir);
      const push = await git.run(['push', 'origin', 'HEAD:main'], dir);

      // Assess
      expect(await git.ok(['log', '-1', '--format=%s', 'origin/main'], dir)).toBe('initial');
      expect(push.code).not.toBe(0);
      expect(push.stderr).toContain('403');
      expect((await advertisement(repository.cloneUrl, 'git-receive-pack', token)).status).toBe(403);
      expect(await git.ok(['--git-dir', bare(name), 'log', '-1', '--format=%s', 'main'])).toBe('initial');
    });

    it('refuses a token for another repository with 403', async () => {
      // Prepare
      const mine = uniqueName();
      const theirs = await seeded(uniqueName());
      await host.ensureRepository(mine, { description: 'x' });
      const { token } = await host.repositoryToken(mine, 'write');

      // Act
      const clone = await git.run(['clone', withToken(theirs.cloneUrl, token), join(work, 'theirs')]);

      // Assess
      expect(clone.code).not.toBe(0);
      expect(clone.stderr).toContain('403');
      expect((await advertisement(theirs.cloneUrl, 'git-upload-pack', token)).status).toBe(403);
    });

    it('refuses an expired token with 401', async () => {
      // Prepare
      const name = uniqueName();
      const repository = await seeded(name);
      const { token } = await host.repositoryToken(name, 'write');
      clock.offsetMs = HOUR_MS + 1000;

      // Act
      const clone = await git.run(['clone', withToken(repository.cloneUrl, token), join(work, 'late')]);

      // Assess
      expect(clone.code).not.toBe(0);
      expect(clone.stderr).toMatch(/Authentication failed|401/);
      expect((await advertisement(repository.cloneUrl, 'git-upload-pack', token)).status).toBe(401);
    });

    it('challenges a request without a token with 401 and WWW-Authenticate: Basic', async () => {
      // Prepare
      const repository = await seeded(uniqueName());

      // Act
      const response = await advertisement(repository.cloneUrl, 'git-upload-pack');

      // Assess
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    });

    it('refuses to mint a token for a repository that does not exist', async () => {
      // Act
      const minting = host.repositoryToken(uniqueName(), 'read');

      // Assess
      await expect(minting).rejects.toBeInstanceOf(RepositoryNotFoundError);
    });
  });

  // LocalGitHost commits with git over smart HTTP; the GitHub adapter through the Git Data API
  // (blobs, trees, commits, refs), which the local server serves with git plumbing.
  describe('commitFiles', () => {
    const logOf = async (name: string, branch: string) =>
      (await git.ok(['--git-dir', bare(name), 'log', '--format=%H %s', branch])).trim().split('\n');

    it('commits files to the default branch of a new repository, then to a new branch from it', async () => {
      // Prepare
      const name = uniqueName();
      const repository = await host.ensureRepository(name, { description: 'files' });

      // Act
      const first = await host.commitFiles(name, {
        branch: 'main',
        message: 'Scaffold',
        files: { 'README.md': '# hi\n', 'src/app.mjs': 'export {};\n' },
      });
      const second = await host.commitFiles(name, {
        branch: 'change-2',
        message: 'Change',
        files: { 'src/app.mjs': 'export const x = 1;\n' },
      });

      // Assess: the new branch starts at main's head; main is where the first commit left it
      const log = await logOf(name, 'change-2');
      expect(log.slice(0, 2)).toEqual([`${second.commit} Change`, `${first.commit} Scaffold`]);
      expect(log).toHaveLength(subject.createsEmpty ? 2 : 3);
      expect(await logOf(name, 'main')).toEqual(log.slice(1));
      const file = await git.ok(['--git-dir', bare(name), 'show', 'change-2:src/app.mjs']);
      expect(file).toBe('export const x = 1;');
      expect(await git.ok(['--git-dir', bare(name), 'show', 'main:README.md'])).toBe('# hi');
      expect(repository.defaultBranch).toBe('main');
    });

    it('puts a second commit on top of the first, keeping the files it does not name', async () => {
      // Prepare
      const name = uniqueName();
      await host.ensureRepository(name, { description: 'files' });
      const first = await host.commitFiles(name, {
        branch: 'main',
        message: 'Scaffold',
        files: { 'README.md': '# hi\n', 'src/app.mjs': 'export {};\n', 'bin/run.sh': '#!/bin/sh\n' },
      });

      // Act
      const second = await host.commitFiles(name, {
        branch: 'main',
        message: 'Feature',
        files: { 'src/app.mjs': 'export const y = 2;\n', 'src/lib/util.mjs': 'export const u = 0;\n' },
      });

      // Assess: a fresh clone over HTTP with a read token has both commits' files
      const parent = await git.ok(['--git-dir', bare(name), 'rev-parse', `${second.commit}^`]);
      expect(parent).toBe(first.commit);
      const repository = await host.getRepository(name);
      const { token } = await host.repositoryToken(name, 'read');
      const dir = join(work, 'fresh');
      await git.ok(['clone', '--quiet', withToken(repository?.cloneUrl ?? '', token), dir]);
      expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('# hi\n');
      expect(await readFile(join(dir, 'src/app.mjs'), 'utf8')).toBe('export const y = 2;\n');
      expect(await readFile(join(dir, 'src/lib/util.mjs'), 'utf8')).toBe('export const u = 0;\n');
      expect(await readFile(join(dir, 'bin/run.sh'), 'utf8')).toBe('#!/bin/sh\n');
      expect(await git.ok(['log', '-1', '--format=%H', 'origin/main'], dir)).toBe(second.commit);
    });

    it('lists every file at a commit with its size, and reads one at that commit', async () => {
      // Prepare
      const name = uniqueName();
      await host.ensureRepository(name, { description: 'files' });
      const first = await host.commitFiles(name, {
        branch: 'main',
        message: 'Scaffold',
        files: { 'README.md': '# hi\n', 'src/lib/util.mjs': 'export const u = 0;\n' },
      });
      const second = await host.commitFiles(name, {
        branch: 'main',
        message: 'More',
        files: { 'docs/notes.md': '# Notes\n' },
      });

      // Act
      const atFirst = await host.listFiles(name, first.commit);
      const atSecond = await host.listFiles(name, second.commit);

      // Assess: files only (no directory entries), each commit's own tree
      const paths = (files: typeof atFirst) => (files ?? []).map((f) => f.path).sort();
      expect(paths(atFirst)).toEqual(['README.md', 'src/lib/util.mjs']);
      expect(paths(atSecond)).toEqual(['README.md', 'docs/notes.md', 'src/lib/util.mjs']);
      expect(atFirst?.find((f) => f.path === 'README.md')?.size).toBe(5);
      expect(await host.readFile(name, 'docs/notes.md', second.commit)).toBe('# Notes\n');
      expect(await host.readFile(name, 'docs/notes.md', first.commit)).toBeUndefined();
    });

    it('lists nothing for a commit that does not exist', async () => {
      // Prepare
      const name = uniqueName();
      await host.ensureRepository(name, { description: 'files' });
      await host.commitFiles(name, { branch: 'main', message: 'x', files: { a: 'b' } });

      // Act
      const listed = await host.listFiles(name, 'f'.repeat(40));

      // Assess
      expect(listed).toBeUndefined();
    });

    it('refuses a path outside the working tree', async () => {
      // Prepare
      const name = uniqueName();
      await host.ensureRepository(name, { description: 'files' });

      // Act
      const committing = host.commitFiles(name, {
        branch: 'main',
        message: 'x',
        files: { '../escape': 'x' },
      });

      // Assess
      await expect(committing).rejects.toThrow(/outside the working tree/);
    });

    it('refuses a repository that does not exist with RepositoryNotFoundError', async () => {
      // Act
      const committing = host.commitFiles(uniqueName(), { branch: 'main', message: 'x', files: { a: 'b' } });

      // Assess
      await expect(committing).rejects.toBeInstanceOf(RepositoryNotFoundError);
    });
  });

  describe('ensurePullRequest', () => {
    it('opens the pull request once and returns the open one after', async () => {
      // Prepare
      const name = uniqueName();
      await seeded(name, { branches: ['feature/login'] });
      const request = { head: 'feature/login', base: 'main', title: 'Login', body: 'Adds a login page' };

      // Act
      const first = await host.ensurePullRequest(name, request);
      const second = await host.ensurePullRequest(name, { ...request, title: 'Login again' });

      // Assess
      expect(first).toStrictEqual({
        number: 1,
        htmlUrl: `${server.url}/${ORG}/${name}/pull/1`,
        head: 'feature/login',
        base: 'main',
        state: 'open',
      });
      expect(second).toStrictEqual(first);
      expect((await serverState()).repositories[name].pulls).toHaveLength(1);
    });

    it('refuses a head branch that does not exist with BranchNotFoundError', async () => {
      // Prepare
      const name = uniqueName();
      await seeded(name);

      // Act
      const opening = host.ensurePullRequest(name, { head: 'nope', base: 'main', title: 't', body: '' });

      // Assess
      await expect(opening).rejects.toBeInstanceOf(BranchNotFoundError);
      await expect(opening).rejects.toMatchObject({ branch: 'nope', repository: `${ORG}/${name}` });
    });

    it('refuses a repository that does not exist with RepositoryNotFoundError', async () => {
      // Act
      const opening = host.ensurePullRequest(uniqueName(), { head: 'a', base: 'main', title: 't', body: '' });

      // Assess
      await expect(opening).rejects.toBeInstanceOf(RepositoryNotFoundError);
    });
  });

  describe('defaultBranchHead and openPullRequests', () => {
    /** Posts a commit status as a CI would, with the server's admin token (GitHub's response shapes). */
    const postStatus = async (name: string, sha: string, state: string, context: string) => {
      const octokit = new Octokit({ auth: server.adminToken, baseUrl: server.apiUrl });
      await octokit.repos.createCommitStatus({
        owner: ORG,
        repo: name,
        sha,
        state: state as 'success',
        context,
      });
    };

    it("reads the default branch head: its commit and message, nothing while the repository is empty (or GitHub's README commit)", async () => {
      // Prepare
      const empty = uniqueName();
      await host.ensureRepository(empty, { description: 'empty' });
      const name = uniqueName();
      await seeded(name);
      const head = (await git.ok(['rev-parse', 'HEAD'], join(work, `seed-${name}`))).trim();

      // Act
      const read = await host.defaultBranchHead(name);

      // Assess
      const emptyHead = await host.defaultBranchHead(empty);
      if (subject.createsEmpty) expect(emptyHead).toBeUndefined();
      else expect(emptyHead).toMatchObject({ branch: 'main', message: 'Initial commit' });
      expect(read).toMatchObject({ branch: 'main', commit: head, message: 'initial' });
      expect(Date.parse(read?.committedAt ?? '')).not.toBeNaN();
    });

    it('lists open pull requests with the combined check state of each head commit', async () => {
      // Prepare
      const name = uniqueName();
      await seeded(name, { branches: ['green', 'red', 'quiet'] });
      const dir = join(work, `seed-${name}`);
      const sha = async (branch: string) => (await git.ok(['rev-parse', `origin/${branch}`], dir)).trim();
      await git.ok(['fetch', '--quiet', 'origin'], dir);
      for (const head of ['green', 'red', 'quiet'])
        await host.ensurePullRequest(name, { head, base: 'main', title: `PR ${head}`, body: '' });
      await postStatus(name, await sha('green'), 'pending', 'ci/test');
      await postStatus(name, await sha('green'), 'success', 'ci/test');
      await postStatus(name, await sha('red'), 'success', 'ci/lint');
      await postStatus(name, await sha('red'), 'failure', 'ci/test');

      // Act
      const pulls = await host.openPullRequests(name);

      // Assess
      expect(pulls.map((p) => [p.head, p.checks])).toEqual([
        ['quiet', 'none'],
        ['red', 'failure'],
        ['green', 'success'],
      ]);
      expect(pulls[2]).toMatchObject({
        number: 1,
        title: 'PR green',
        base: 'main',
        headCommit: await sha('green'),
        htmlUrl: expect.stringMatching(new RegExp(`/${ORG}/${name}/pull/1$`)),
      });
    });

    it('refuses a repository that does not exist with RepositoryNotFoundError', async () => {
      // Act
      const reading = host.openPullRequests(uniqueName());

      // Assess
      await expect(reading).rejects.toBeInstanceOf(RepositoryNotFoundError);
      await expect(host.defaultBranchHead(uniqueName())).rejects.toBeInstanceOf(RepositoryNotFoundError);
    });
  });

  describe('protectDefaultBranch', () => {
    it('protects the pushed default branch of a public repository and the server records it', async () => {
      // Prepare
      const name = uniqueName();
      await seeded(name, { private: false });

      // Act
      const protectedBranch = await host.protectDefaultBranch(name);

      // Assess
      expect(protectedBranch).toBe(true);
      expect((await serverState()).repositories[name].protections.main).toMatchObject({
        allow_force_pushes: false,
        allow_deletions: false,
      });
    });

    it.each(
      [
        { why: 'the plan has no protection for private repositories', private: true, push: true },
        // A host that auto-inits (as the GitHub adapter does) never leaves the default branch empty.
        { why: 'the default branch has no commit yet', private: false, push: false },
      ].filter((variant) => variant.push || subject.createsEmpty),
    )('returns false where $why', async (variant) => {
      // Prepare
      const name = uniqueName();
      if (variant.push) await seeded(name, { private: variant.private });
      else await host.ensureRepository(name, { description: 'x', private: variant.private });

      // Act
      const protectedBranch = await host.protectDefaultBranch(name);

      // Assess
      expect(protectedBranch).toBe(false);
      expect((await serverState()).repositories[name].protections).toEqual({});
    });
  });
});

describe('Local git server and the GitHub App adapter', () => {
  const clock = new OffsetClock();
  let dataDir: string;
  let server: LocalGitServer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'git-host-'));
    server = await startServer(dataDir, clock);
  });

  afterAll(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses an installation token request signed with another key', async () => {
    // Prepare
    const intruder = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const secrets = new MemorySecrets();
    await secrets.put('key', intruder.privateKey);
    const host = new GitHubAppHost({
      org: ORG,
      appId: APP_ID,
      installationId: INSTALLATION_ID,
      secrets,
      privateKeySecret: 'key',
      baseUrl: server.apiUrl,
    });

    // Act
    const looking = host.getRepository('anything');

    // Assess
    await expect(looking).rejects.toMatchObject({ status: 401 });
  });

  it('reads the App key from the secret store once, and again only after a failed read', async () => {
    // Prepare
    const secrets = new CountingSecrets();
    const host = new GitHubAppHost({
      org: ORG,
      appId: APP_ID,
      installationId: INSTALLATION_ID,
      secrets,
      privateKeySecret: 'github/app-private-key',
      baseUrl: server.apiUrl,
    });

    // Act
    const beforeTheKey = await host.getRepository('absent').catch((error: unknown) => error);
    await secrets.put('github/app-private-key', appKeys.privateKey);
    await host.getRepository('absent');
    await host.getRepository('absent');

    // Assess
    expect(beforeTheKey).toBeInstanceOf(SecretNotFoundError);
    expect(secrets.reads).toEqual(['github/app-private-key', 'github/app-private-key']);
  });

  it('holds a repository token to its repository and permissions on the REST API too', async () => {
    // Prepare
    const local = new LocalGitHost(server);
    await local.ensureRepository('scoped', { description: 'x' });
    await local.ensureRepository('other', { description: 'x' });
    const { token } = await local.repositoryToken('scoped', 'read');
    const call = (method: string, path: string) =>
      fetch(`${server.apiUrl}${path}`, {
        method,
        headers: { authorization: `token ${token}` },
        body: method === 'GET' ? undefined : '{}',
      });

    // Act
    const statuses = {
      own: (await call('GET', `/repos/${ORG}/scoped`)).status,
      other: (await call('GET', `/repos/${ORG}/other`)).status,
      openPull: (await call('POST', `/repos/${ORG}/scoped/pulls`)).status,
      createRepository: (await call('POST', `/orgs/${ORG}/repos`)).status,
    };

    // Assess
    expect(statuses).toEqual({ own: 200, other: 404, openPull: 403, createRepository: 403 });
  });

  it('refuses REST calls without credentials or with a wrong admin token', async () => {
    // Act
    const anonymous = await fetch(`${server.apiUrl}/repos/${ORG}/x`);
    const wrong = await fetch(`${server.apiUrl}/repos/${ORG}/x`, {
      headers: { authorization: 'Bearer nope' },
    });

    // Assess
    expect(anonymous.status).toBe(401);
    expect(wrong.status).toBe(401);
  });

  it('keeps token hashes only, in a file only its owner can read', async () => {
    // Prepare
    const local = new LocalGitHost(server);
    await local.ensureRepository('kept', { description: 'x' });

    // Act
    const { token } = await local.repositoryToken('kept', 'read');

    // Assess
    const file = join(dataDir, 'git-host', 'tokens.json');
    expect(await readFile(file, 'utf8')).not.toContain(token);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps repositories, pull requests and unexpired tokens across a restart on the same data dir', async () => {
    // Prepare
    const git = await GitCli.create();
    const before = new LocalGitHost(server);
    const repository = await before.ensureRepository('durable', { description: 'x' });
    const { token } = await before.repositoryToken('durable', 'write');
    const dir = await mkdtemp(join(tmpdir(), 'git-work-'));
    await git.ok(['clone', '--quiet', withToken(repository.cloneUrl, token), dir]);
    await git.ok(['commit', '--quiet', '--allow-empty', '-m', 'before restart'], dir);
    await git.ok(['push', '--quiet', 'origin', 'HEAD:main', 'HEAD:feature'], dir);
    const pull = await before.ensurePullRequest('durable', {
      head: 'feature',
      base: 'main',
      title: 't',
      body: '',
    });

    // Act
    await server.stop();
    server = await startServer(dataDir, clock);
    const after = new LocalGitHost(server);

    // Assess
    expect(await after.getRepository('durable')).toMatchObject({ fullName: `${ORG}/durable` });
    expect(
      (await after.ensurePullRequest('durable', { head: 'feature', base: 'main', title: 't', body: '' }))
        .number,
    ).toBe(pull.number);
    const moved = repository.cloneUrl.replace(new URL(repository.cloneUrl).origin, server.url);
    await git.ok(['clone', '--quiet', withToken(moved, token), join(dir, 'again')]);
  });
});
