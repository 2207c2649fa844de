import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitResult {
  code: number;
  stdout: string;
  /** With any token taken out, so a failing assertion never prints one. */
  stderr: string;
}

/**
 * Real `git` for tests: an empty HOME, no system config, no credential helper and no prompt, so
 * only the credentials in the URL are used and a refusal fails at once instead of asking.
 */
export class GitCli {
  private constructor(private readonly home: string) {}

  static async create(): Promise<GitCli> {
    return new GitCli(await mkdtemp(join(tmpdir(), 'git-home-')));
  }

  run(args: string[], cwd?: string): Promise<GitResult> {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
    };
    return new Promise((resolve) => {
      execFile('git', ['-c', 'credential.helper=', ...args], { cwd, env }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: redact(stdout), stderr: redact(stderr) });
      });
    });
  }

  /** Like run, but a failure throws (with the redacted stderr and arguments). */
  async ok(args: string[], cwd?: string): Promise<string> {
    const result = await this.run(args, cwd);
    if (result.code !== 0) {
      throw new Error(`git ${redact(args.join(' '))} failed (${result.code}): ${result.stderr}`);
    }
    return result.stdout.trim();
  }
}

/** `http://host/o/r.git` -> `http://x-access-token:<token>@host/o/r.git`, GitHub's shape. */
export function withToken(cloneUrl: string, token: string): string {
  const url = new URL(cloneUrl);
  url.username = 'x-access-token';
  url.password = token;
  return url.toString();
}

function redact(text: string): string {
  return text.replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@').replace(/ghs_[A-Za-z0-9_-]+/g, 'ghs_***');
}
