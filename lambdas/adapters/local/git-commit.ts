import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Repository } from '../../ports/git-host.ts';

/**
 * Commits files onto a branch with the git CLI: clone (or, for an empty repository, init), check
 * out the branch (new ones from the default branch), write, commit, push. The token reaches git
 * only through an http.extraHeader on the command line of this process, never a file or a URL
 * that git could print.
 */
export async function commitWithGit(
  repository: Repository,
  token: string,
  commit: { branch: string; message: string; files: Record<string, string> },
): Promise<{ commit: string }> {
  const home = await mkdtemp(join(tmpdir(), 'git-commit-'));
  const work = join(home, 'work');
  const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const git = (args: string[], cwd = work) =>
    run(['-c', auth, '-c', 'credential.helper=', ...args], cwd, home);
  try {
    await mkdir(work);
    await git(['init', '--quiet', `--initial-branch=${repository.defaultBranch}`]);
    await git(['remote', 'add', 'origin', repository.cloneUrl]);
    const remote = await git(['ls-remote', '--heads', 'origin']);
    const has = (branch: string) =>
      remote.includes(`refs/heads/${branch}\n`) || remote.endsWith(`refs/heads/${branch}`);
    const base = has(commit.branch)
      ? commit.branch
      : has(repository.defaultBranch)
        ? repository.defaultBranch
        : undefined;
    if (base) {
      await git(['fetch', '--quiet', '--depth', '1', 'origin', base]);
      await git(['checkout', '--quiet', '-B', commit.branch, 'FETCH_HEAD']);
    } else {
      await git(['checkout', '--quiet', '-B', commit.branch]);
    }
    for (const [path, content] of Object.entries(commit.files)) {
      const target = resolve(work, path);
      if (!target.startsWith(`${work}/`))
        throw new Error(`Refusing to write outside the working tree: ${path}`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await git(['add', '--all']);
    await git(['commit', '--quiet', '--allow-empty', '-m', commit.message]);
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${commit.branch}`]);
    return { commit: (await git(['rev-parse', 'HEAD'])).trim() };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function run(args: string[], cwd: string, home: string): Promise<string> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Codegen Orchestrator',
    GIT_AUTHOR_EMAIL: 'orchestrator@localhost',
    GIT_COMMITTER_NAME: 'Codegen Orchestrator',
    GIT_COMMITTER_EMAIL: 'orchestrator@localhost',
  };
  return new Promise((resolvePromise, reject) => {
    execFile('git', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      // stderr is not passed on: with a failing remote it can echo the request.
      if (error)
        reject(
          new Error(
            `git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? ''} failed (${error.code})${stderr.includes('403') ? ': forbidden' : ''}`,
          ),
        );
      else resolvePromise(stdout);
    });
  });
}
