import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small wrapper around the real git CLI. Credentials reach git only through GIT_ASKPASS: the
 * script on disk holds no secret (it echoes a variable set in git's own environment), the clone
 * URL stays credential-free, so neither `.git/config`, the process list nor logs show the token.
 */
export interface Git {
  clone(options: { url: string; token: string; dir: string }): Promise<void>;
  /** Checks out `branch` from origin, or creates it from the default branch when it is new. */
  checkoutBranch(dir: string, branch: string): Promise<void>;
  checkoutCommit(dir: string, commit: string): Promise<void>;
  /** Commits every change; returns HEAD (unchanged when there was nothing to commit). */
  commitAll(dir: string, message: string): Promise<string>;
  push(options: { dir: string; branch: string; token: string }): Promise<void>;
  /** Writes the tree at `commit` (no .git) as a gzipped tarball to `file`. */
  archive(dir: string, commit: string, file: string): Promise<void>;
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export interface GitCliOptions {
  author?: { name: string; email: string };
  /** Where PATH and HOME come from (default process.env); nothing else of it reaches git. */
  parentEnv?: NodeJS.ProcessEnv;
  /** Parent of the short-lived askpass directories (default the OS temp dir). */
  tempDir?: string;
}

const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' x-access-token ;;
  *) printf '%s\\n' "$GIT_WORKER_PASSWORD" ;;
esac
`;

export function createGitCli(options: GitCliOptions = {}): Git {
  const author = options.author ?? {
    name: 'codegen-orchestrator',
    email: 'codegen-orchestrator@users.noreply.local',
  };
  const parent = options.parentEnv ?? process.env;
  const baseEnv = {
    PATH: parent.PATH ?? '/usr/bin:/bin',
    HOME: parent.HOME ?? tmpdir(),
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
  };

  const git = (args: string[], cwd?: string, env: Record<string, string> = {}) =>
    run('git', ['-c', 'credential.helper=', ...args], { cwd, env: { ...baseEnv, ...env } });

  async function withToken<T>(
    token: string,
    action: (env: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'askpass-'));
    const script = join(dir, 'askpass.sh');
    try {
      await writeFile(script, ASKPASS);
      await chmod(script, 0o700);
      return await action({ GIT_ASKPASS: script, GIT_WORKER_PASSWORD: token });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    clone: ({ url, token, dir }) =>
      withToken(token, (env) => git(['clone', '--no-tags', url, dir], undefined, env)).then(),
    async checkoutBranch(dir, branch) {
      // The clone fetched every branch, so no authenticated round trip is needed to ask.
      const exists = await git(
        ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}`],
        dir,
      ).then(
        () => true,
        () => false,
      );
      if (exists) await git(['checkout', '-B', branch, `origin/${branch}`], dir);
      else await git(['checkout', '-b', branch], dir);
    },
    async checkoutCommit(dir, commit) {
      await git(['checkout', '--detach', commit], dir);
    },
    async commitAll(dir, message) {
      await git(['add', '-A'], dir);
      const changed = (await git(['status', '--porcelain'], dir)).trim() !== '';
      if (changed) {
        await git(
          [
            '-c',
            `user.name=${author.name}`,
            '-c',
            `user.email=${author.email}`,
            'commit',
            '-q',
            '-m',
            message,
          ],
          dir,
        );
      }
      return (await git(['rev-parse', 'HEAD'], dir)).trim();
    },
    push: ({ dir, branch, token }) =>
      withToken(token, (env) => git(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], dir, env)).then(),
    async archive(dir, commit, file) {
      await git(['archive', '--format=tar.gz', '-o', file, commit], dir);
    },
  };
}

function run(command: string, args: string[], options: { cwd?: string; env: Record<string, string> }) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => reject(new GitError(`git did not start: ${error.message}`, null)));
    child.on('close', (code) => {
      // args[2] is the subcommand (after `-c credential.helper=`); URLs carry no credentials.
      if (code === 0) resolve(stdout);
      else reject(new GitError(`git ${args[2]} failed (${code}): ${stderr.trim().slice(-2_000)}`, code));
    });
  });
}
