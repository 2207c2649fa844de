import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A local bare repository with one commit on `main`, cloned over `file://`: the stand-in for the
 * git host in worker tests (the HTTP git server is tested on its own).
 */
export interface BareRepo {
  dir: string;
  url: string;
  /** `git` in the bare repository, e.g. `rev-parse refs/heads/x`; throws when git fails. */
  git(...args: string[]): string;
  close(): Promise<void>;
}

const QUIET = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };

export async function createBareRepo(
  files: Record<string, string> = { 'README.md': '# project\n' },
): Promise<BareRepo> {
  const root = await mkdtemp(join(tmpdir(), 'bare-'));
  const dir = join(root, 'project.git');
  const seed = join(root, 'seed');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', dir], QUIET);
  execFileSync('git', ['init', '-q', '-b', 'main', seed], QUIET);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(seed, path)), { recursive: true });
    await writeFile(join(seed, path), text);
  }
  const author = ['-c', 'user.name=seed', '-c', 'user.email=seed@example.com'];
  execFileSync('git', ['-C', seed, 'add', '-A'], QUIET);
  execFileSync('git', ['-C', seed, ...author, 'commit', '-q', '-m', 'seed'], QUIET);
  execFileSync('git', ['-C', seed, 'push', '-q', dir, 'main'], QUIET);
  return {
    dir,
    url: pathToFileURL(dir).href,
    git: (...args) => execFileSync('git', ['-C', dir, ...args], QUIET).trim(),
    close: () => rm(root, { recursive: true, force: true }),
  };
}
