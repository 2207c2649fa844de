import { spawn } from 'node:child_process';

export class GitPlumbingError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args[0]} failed (${exitCode}): ${stderr.trim().split('\n')[0] ?? ''}`);
    this.name = 'GitPlumbingError';
  }
}

/**
 * Runs a git plumbing command on a bare repository, with `input` on stdin, and returns stdout.
 * Nothing from the user's git configuration applies (no global or system config, no hooks path).
 */
export function plumbing(
  gitDir: string,
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, ...args], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        ...options.env,
      },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitPlumbingError(args, code, Buffer.concat(err).toString('utf8')));
    });
    if (child.stdin) {
      // A command that fails before reading its input closes the pipe: its exit code tells why.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** The object's type (`blob`, `tree`, `commit`, `tag`), or undefined when it does not exist. */
export async function objectType(gitDir: string, sha: unknown): Promise<string | undefined> {
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) return undefined;
  try {
    return (await plumbing(gitDir, ['cat-file', '-t', sha])).toString('utf8').trim();
  } catch {
    return undefined;
  }
}

/** The commit a ref points at, or undefined when there is no such ref. */
export async function refTarget(gitDir: string, ref: string): Promise<string | undefined> {
  try {
    return (await plumbing(gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]))
      .toString('utf8')
      .trim();
  } catch {
    return undefined;
  }
}

/** A repository with no refs at all: GitHub's Git Data API answers 409 for it. */
export async function isEmptyRepository(gitDir: string): Promise<boolean> {
  const refs = await plumbing(gitDir, ['for-each-ref', '--count=1', '--format=%(refname)']);
  return refs.length === 0;
}
