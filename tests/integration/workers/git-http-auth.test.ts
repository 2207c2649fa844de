import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitCli } from '../../../containers/shared/git.ts';
import { type BareRepo, createBareRepo } from '../../support/bare-repo.ts';
import { type GitHttpServer, startGitHttpServer } from '../../support/git-http-server.ts';
import { tempDirs } from '../../support/temp-dir.ts';

// The git wrapper over smart HTTP with GitHub's credential shape: the token reaches git through
// GIT_ASKPASS only, and is neither in the clone's config nor left on disk.
const TOKEN = 'ghs_http_token_0123456789';

describe('git wrapper over HTTP', () => {
  let repo: BareRepo;
  let server: GitHttpServer;
  const dirs = tempDirs();
  beforeEach(async () => {
    repo = await createBareRepo();
    server = await startGitHttpServer(dirname(repo.dir), TOKEN);
  });
  afterEach(async () => {
    await server.close();
    await repo.close();
    await dirs.cleanup();
  });

  it('clones and pushes with the token, leaving it nowhere on disk', async () => {
    // Prepare
    const askpassRoot = await dirs.make();
    const git = createGitCli({ tempDir: askpassRoot });
    const dir = join(await dirs.make(), 'clone');
    // Act
    await git.clone({ url: server.url('project'), token: TOKEN, dir });
    await git.checkoutBranch(dir, 'feature/x');
    await writeFile(join(dir, 'new.txt'), 'new\n');
    const commit = await git.commitAll(dir, 'Add new.txt');
    await git.push({ dir, branch: 'feature/x', token: TOKEN });
    // Assess
    expect(repo.git('rev-parse', 'refs/heads/feature/x')).toBe(commit);
    const basic = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    expect(server.authorizations).toContain(basic);
    const config = await readFile(join(dir, '.git/config'), 'utf8');
    expect(config).toContain(server.url('project'));
    expect(config).not.toContain(TOKEN);
    expect(await readdir(askpassRoot)).toEqual([]); // the askpass script is gone
  });

  it('fails with GitError, without the token in the message, when the token is wrong', async () => {
    const error = await createGitCli()
      .clone({ url: server.url('project'), token: 'ghs_wrong_token', dir: join(await dirs.make(), 'clone') })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'GitError' });
    expect(String((error as Error).message)).not.toContain('ghs_wrong_token');
  });
});
