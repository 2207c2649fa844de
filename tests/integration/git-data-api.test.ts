import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCTOKIT_LOG, TOKEN_PERMISSIONS } from '../../lambdas/adapters/github/octokit-git-host.ts';
import { type LocalGitServer, startLocalGitServer } from '../../lambdas/adapters/local/git-http-server.ts';

const run = promisify(execFile);
const ORG = 'acme';

/**
 * The local git server's Git Data API (blobs, trees, commits, refs) as GitHub answers it, spoken
 * to with Octokit and installation tokens. The GitHost contract suite runs the GitHub adapter's
 * commitFiles over it; this file holds the protocol's edges that commitFiles does not reach.
 */
describe('Local git server: the Git Data API', () => {
  let dataDir: string;
  let server: LocalGitServer;
  let admin: Octokit;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'git-data-'));
    server = await startLocalGitServer({ dataDir, org: ORG });
    admin = new Octokit({ auth: server.adminToken, baseUrl: server.apiUrl, log: OCTOKIT_LOG });
  });

  afterAll(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const bare = (name: string) => join(dataDir, 'git', ORG, `${name}.git`);
  const git = async (name: string, args: string[]) =>
    (await run('git', ['--git-dir', bare(name), ...args])).stdout.trim();

  /** A repository created as the GitHub adapter creates one (auto_init), and a client with a token for it. */
  async function repository(access: 'read' | 'write' = 'write', autoInit = true) {
    const name = `data-${randomUUID().slice(0, 8)}`;
    await admin.repos.createInOrg({ org: ORG, name, private: true, auto_init: autoInit });
    const { data } = await admin.apps.createInstallationAccessToken({
      installation_id: 1,
      repositories: [name],
      permissions: TOKEN_PERMISSIONS[access],
    });
    const octokit = new Octokit({ auth: data.token, baseUrl: server.apiUrl, log: OCTOKIT_LOG });
    return { name, octokit, repo: { owner: ORG, repo: name } };
  }

  it('builds a commit from a blob, a tree on a base tree and a ref, in GitHub shapes', async () => {
    // Prepare: main has GitHub's auto_init commit (README.md)
    const { name, octokit, repo } = await repository();
    const { data: main } = await octokit.git.getRef({ ...repo, ref: 'heads/main' });
    const { data: initial } = await octokit.git.getCommit({ ...repo, commit_sha: main.object.sha });

    // Act
    const { data: blob } = await octokit.git.createBlob({
      ...repo,
      content: Buffer.from('binary\0data').toString('base64'),
      encoding: 'base64',
    });
    const { data: tree } = await octokit.git.createTree({
      ...repo,
      base_tree: initial.tree.sha,
      tree: [
        { path: 'data.bin', mode: '100644', type: 'blob', sha: blob.sha },
        { path: 'src/app.mjs', mode: '100644', type: 'blob', content: 'export {};\n' },
        { path: 'run.sh', mode: '100755', type: 'blob', content: '#!/bin/sh\n' },
      ],
    });
    const { data: commit } = await octokit.git.createCommit({
      ...repo,
      message: 'Add files',
      tree: tree.sha,
      parents: [main.object.sha],
      author: { name: 'Ada', email: 'ada@example.com', date: '2026-01-02T03:04:05Z' },
    });
    const { data: created } = await octokit.git.createRef({
      ...repo,
      ref: 'refs/heads/feature',
      sha: commit.sha,
    });
    const { data: read } = await octokit.git.getCommit({ ...repo, commit_sha: commit.sha });
    const { data: listed } = await octokit.git.getTree({ ...repo, tree_sha: tree.sha, recursive: 'true' });

    // Assess: what git itself says, and the answers' shapes
    expect(blob.sha).toBe(await git(name, ['rev-parse', 'feature:data.bin']));
    const { data: stored } = await octokit.git.getBlob({ ...repo, file_sha: blob.sha });
    expect(Buffer.from(stored.content, 'base64').toString('latin1')).toBe('binary\0data');
    expect(await git(name, ['show', 'feature:src/app.mjs'])).toBe('export {};');
    expect(await git(name, ['ls-tree', 'feature', 'run.sh'])).toMatch(/^100755 blob/);
    expect(await git(name, ['show', 'feature:README.md'])).toMatch(new RegExp(`^# ${name}`));
    expect(created).toMatchObject({ ref: 'refs/heads/feature', object: { type: 'commit', sha: commit.sha } });
    expect(read).toMatchObject({
      sha: commit.sha,
      message: 'Add files',
      tree: { sha: tree.sha },
      parents: [{ sha: main.object.sha }],
      author: { name: 'Ada', email: 'ada@example.com', date: '2026-01-02T03:04:05Z' },
      committer: { name: 'Ada', email: 'ada@example.com' },
    });
    expect(listed.tree.map((e) => `${e.mode} ${e.type} ${e.path}`)).toEqual([
      '100644 blob README.md',
      '100644 blob data.bin',
      '100755 blob run.sh',
      '040000 tree src',
      '100644 blob src/app.mjs',
    ]);
    expect(listed.truncated).toBe(false);
  });

  it('deletes a path with sha null, and refuses to delete one that does not exist (422)', async () => {
    // Prepare
    const { name, octokit, repo } = await repository();
    const { data: main } = await octokit.git.getRef({ ...repo, ref: 'heads/main' });
    const base = await git(name, ['rev-parse', `${main.object.sha}^{tree}`]);

    // Act
    const { data: emptied } = await octokit.git.createTree({
      ...repo,
      base_tree: base,
      tree: [
        { path: 'README.md', mode: '100644', type: 'blob', sha: null },
        { path: 'a/b.txt', mode: '100644', type: 'blob', content: 'b' },
      ],
    });
    const missing = await octokit.git
      .createTree({
        ...repo,
        base_tree: base,
        tree: [{ path: 'nope.txt', mode: '100644', type: 'blob', sha: null }],
      })
      .catch((error: { status: number }) => error.status);
    const escaping = await octokit.git
      .createTree({ ...repo, tree: [{ path: '../x', mode: '100644', type: 'blob', content: 'x' }] })
      .catch((error: { status: number }) => error.status);

    // Assess
    expect(emptied.tree.map((e) => e.path)).toEqual(['a']);
    expect(missing).toBe(422);
    expect(escaping).toBe(422);
  });

  it('moves a ref forward only: a non-fast-forward update is 422 without force, and moves with it', async () => {
    // Prepare: two commits on top of main's first, on diverging lines
    const { name, octokit, repo } = await repository();
    const { data: main } = await octokit.git.getRef({ ...repo, ref: 'heads/main' });
    const tree = await git(name, ['rev-parse', `${main.object.sha}^{tree}`]);
    const commitOn = async (message: string) =>
      (await octokit.git.createCommit({ ...repo, message, tree, parents: [main.object.sha] })).data.sha;
    const ahead = await commitOn('ahead');
    const aside = await commitOn('aside');

    // Act
    const forward = await octokit.git.updateRef({ ...repo, ref: 'heads/main', sha: ahead });
    const sideways = await octokit.git
      .updateRef({ ...repo, ref: 'heads/main', sha: aside })
      .catch((error: { status: number; response?: { data?: { message?: string } } }) => error);
    const afterRefusal = await git(name, ['rev-parse', 'main']);
    const forced = await octokit.git.updateRef({ ...repo, ref: 'heads/main', sha: aside, force: true });

    // Assess
    expect(forward.status).toBe(200);
    expect(sideways).toMatchObject({
      status: 422,
      response: { data: { message: 'Update is not a fast forward' } },
    });
    expect(afterRefusal).toBe(ahead);
    expect(forced.data.object.sha).toBe(aside);
    expect(await git(name, ['rev-parse', 'main'])).toBe(aside);
  });

  it('answers as GitHub does at the edges: existing or missing refs, read tokens, other repositories, empty ones', async () => {
    // Prepare
    const writer = await repository();
    const reader = await repository('read');
    const empty = await repository('write', false);
    const { data: main } = await writer.octokit.git.getRef({ ...writer.repo, ref: 'heads/main' });
    const status = (call: Promise<{ status: number }>) =>
      call.then(
        (response) => response.status,
        (error: { status: number }) => error.status,
      );

    // Act
    const statuses = {
      createExisting: await status(
        writer.octokit.git.createRef({ ...writer.repo, ref: 'refs/heads/main', sha: main.object.sha }),
      ),
      getMissing: await status(writer.octokit.git.getRef({ ...writer.repo, ref: 'heads/nope' })),
      updateMissing: await status(
        writer.octokit.git.updateRef({ ...writer.repo, ref: 'heads/nope', sha: main.object.sha }),
      ),
      readerReads: await status(reader.octokit.git.getRef({ ...reader.repo, ref: 'heads/main' })),
      readerWrites: await status(reader.octokit.git.createBlob({ ...reader.repo, content: 'x' })),
      otherRepository: await status(writer.octokit.git.getRef({ ...reader.repo, ref: 'heads/main' })),
      emptyRepository: await status(empty.octokit.git.createBlob({ ...empty.repo, content: 'x' })),
    };

    // Assess
    expect(statuses).toEqual({
      createExisting: 422,
      getMissing: 404,
      updateMissing: 422,
      readerReads: 200,
      readerWrites: 403,
      otherRepository: 404,
      emptyRepository: 409,
    });
  });
});
