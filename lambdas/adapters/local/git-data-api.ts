import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEmptyRepository, objectType, plumbing, refTarget } from './git-plumbing.ts';

/**
 * GitHub's Git Data API (blobs, trees, commits, refs) on a bare repository, with real git
 * plumbing: `hash-object -w`, a throwaway index for trees (`read-tree`, `update-index`,
 * `write-tree`), `commit-tree`, and `update-ref` with the old value, so a ref moves only from the
 * commit the caller saw. Request and answer shapes are GitHub's (docs.github.com/rest/git).
 */
export interface GitDataRequest {
  method: string;
  /** The path after `/repos/{owner}/{repo}/git/`, split on `/` (a `%2F` inside one segment too). */
  path: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  gitDir: string;
  /** `{baseUrl}/api/v3/repos/{owner}/{repo}` and `{baseUrl}/{owner}/{repo}`. */
  apiUrl: string;
  htmlUrl: string;
  /** Branch -> its protection, as the server recorded it. */
  protections: Record<string, unknown>;
  may(level: 'read' | 'write'): boolean;
}

type Reply = [status: number, body: unknown];

const notFound: Reply = [404, { message: 'Not Found' }];
const forbidden: Reply = [403, { message: 'Resource not accessible by integration' }];
const unprocessable = (message: string): Reply => [422, { message }];
const MODES: Record<string, string> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};
// The identity GitHub gives an App's commits when the request names none.
const APP_IDENTITY = { name: 'local-app[bot]', email: 'local-app[bot]@users.noreply.localhost' };

export async function handleGitData(request: GitDataRequest): Promise<Reply> {
  const { method, path } = request;
  const write = method !== 'GET';
  if (!request.may(write ? 'write' : 'read')) return forbidden;
  if (await isEmptyRepository(request.gitDir)) return [409, { message: 'Git Repository is empty.' }];
  const [kind, ...rest] = path;
  if (kind === 'blobs' && method === 'POST' && rest.length === 0) return createBlob(request);
  if (kind === 'blobs' && method === 'GET' && rest.length === 1) return getBlob(request, rest[0]!);
  if (kind === 'trees' && method === 'POST' && rest.length === 0) return createTree(request);
  if (kind === 'trees' && method === 'GET' && rest.length === 1) return getTree(request, rest[0]!);
  if (kind === 'commits' && method === 'POST' && rest.length === 0) return createCommit(request);
  if (kind === 'commits' && method === 'GET' && rest.length === 1) return getCommit(request, rest[0]!);
  if (kind === 'refs' && method === 'POST' && rest.length === 0) return createRef(request);
  const ref = `refs/${rest.join('/')}`;
  if ((kind === 'ref' || kind === 'refs') && method === 'GET' && rest.length > 0) return getRef(request, ref);
  if (kind === 'refs' && method === 'PATCH' && rest.length > 0) return updateRef(request, ref);
  return notFound;
}

async function createBlob(request: GitDataRequest): Promise<Reply> {
  const { content, encoding = 'utf-8' } = request.body;
  if (typeof content !== 'string') return unprocessable('Invalid request.\n\n"content" wasn\'t supplied.');
  if (encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'base64') {
    return unprocessable(`encoding must be one of utf-8, base64`);
  }
  const bytes = Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8');
  const sha = await writeBlob(request.gitDir, bytes);
  return [201, { sha, url: `${request.apiUrl}/git/blobs/${sha}` }];
}

async function getBlob(request: GitDataRequest, sha: string): Promise<Reply> {
  if ((await objectType(request.gitDir, sha)) !== 'blob') return notFound;
  const bytes = await plumbing(request.gitDir, ['cat-file', 'blob', sha]);
  return [
    200,
    {
      sha,
      size: bytes.length,
      url: `${request.apiUrl}/git/blobs/${sha}`,
      content: bytes.toString('base64'),
      encoding: 'base64',
    },
  ];
}

interface TreeEntryInput {
  path?: unknown;
  mode?: unknown;
  type?: unknown;
  sha?: unknown;
  content?: unknown;
}

/**
 * A tree from `base_tree` (or nothing) plus the entries: `content` makes a blob, `sha` names an
 * existing object, `sha: null` deletes the path (an error if it does not exist, as on GitHub).
 */
async function createTree(request: GitDataRequest): Promise<Reply> {
  const { gitDir } = request;
  const { tree, base_tree: baseTree } = request.body as { tree?: unknown; base_tree?: unknown };
  if (!Array.isArray(tree)) return unprocessable('Invalid request.\n\n"tree" wasn\'t supplied.');
  if (baseTree !== undefined && (await objectType(gitDir, baseTree)) !== 'tree') {
    return unprocessable(`base_tree ${String(baseTree)} is not a valid tree oid`);
  }
  // A throwaway index, and an empty directory as the work tree that ls-files wants; no file is written there.
  const home = await mkdtemp(join(tmpdir(), 'git-data-'));
  const env = { GIT_INDEX_FILE: join(home, 'index'), GIT_WORK_TREE: home, GIT_LITERAL_PATHSPECS: '1' };
  const git = (args: string[], input?: string) =>
    plumbing(gitDir, args, { env, ...(input ? { input } : {}) });
  try {
    await git(baseTree === undefined ? ['read-tree', '--empty'] : ['read-tree', String(baseTree)]);
    for (const entry of tree as TreeEntryInput[]) {
      const refused = await applyTreeEntry(gitDir, git, entry);
      if (refused) return refused;
    }
    const sha = (await git(['write-tree'])).toString('utf8').trim();
    return [201, await treeJson(request, sha, false)];
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function applyTreeEntry(
  gitDir: string,
  git: (args: string[], input?: string) => Promise<Buffer>,
  entry: TreeEntryInput,
): Promise<Reply | undefined> {
  const { path, mode, type, sha, content } = entry ?? {};
  if (typeof path !== 'string' || !isTreePath(path)) {
    return unprocessable(`tree.path contains a malformed path component`);
  }
  if (typeof mode !== 'string' || !MODES[mode]) return unprocessable(`tree.mode is invalid: ${String(mode)}`);
  if (type !== undefined && type !== MODES[mode]) return unprocessable(`tree.type must match tree.mode`);
  // The path itself, or everything under it when it is a directory.
  const existing = (await git(['ls-files', '-z', '--', path])).toString('utf8');
  const remove = async () => {
    if (existing) await git(['update-index', '--force-remove', '-z', '--stdin'], existing);
  };
  if (sha === null && content === undefined) {
    if (!existing) return unprocessable(`tree.sha: ${path} does not exist in the base tree`);
    await remove();
    return undefined;
  }
  let object: string;
  if (typeof content === 'string' && sha === undefined) {
    if (MODES[mode] !== 'blob') return unprocessable('tree.content is only for blobs');
    object = await writeBlob(gitDir, Buffer.from(content, 'utf8'));
  } else if (typeof sha === 'string' && content === undefined) {
    const actual = await objectType(gitDir, sha);
    if (MODES[mode] !== 'commit' && actual !== MODES[mode]) {
      return unprocessable(`tree.sha ${sha} is not a valid ${MODES[mode]}`);
    }
    object = sha;
  } else {
    return unprocessable('Exactly one of tree.sha and tree.content must be given');
  }
  await remove();
  if (MODES[mode] === 'tree') await git(['read-tree', `--prefix=${path}/`, object]);
  else await git(['update-index', '--add', '--replace', '--cacheinfo', `${mode},${object},${path}`]);
  return undefined;
}

async function getTree(request: GitDataRequest, sha: string): Promise<Reply> {
  const type = await objectType(request.gitDir, sha);
  if (type !== 'tree' && type !== 'commit') return notFound;
  const tree = (await plumbing(request.gitDir, ['rev-parse', `${sha}^{tree}`])).toString('utf8').trim();
  const recursive = ['1', 'true'].includes(request.query.get('recursive') ?? '');
  return [200, await treeJson(request, tree, recursive)];
}

async function treeJson(request: GitDataRequest, sha: string, recursive: boolean) {
  const args = ['ls-tree', '-z', '--long', ...(recursive ? ['-r', '-t'] : []), sha];
  const listing = (await plumbing(request.gitDir, args)).toString('utf8');
  const tree = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split('\t') as [string, string];
      const [mode, type, object, size] = meta.split(/\s+/) as [string, string, string, string];
      const kind = type === 'tree' ? 'trees' : 'blobs';
      return {
        path,
        mode,
        type,
        sha: object,
        ...(type === 'blob' ? { size: Number(size) } : {}),
        ...(type === 'commit' ? {} : { url: `${request.apiUrl}/git/${kind}/${object}` }),
      };
    });
  return { sha, url: `${request.apiUrl}/git/trees/${sha}`, tree, truncated: false };
}

interface Identity {
  name?: unknown;
  email?: unknown;
  date?: unknown;
}

async function createCommit(request: GitDataRequest): Promise<Reply> {
  const { gitDir } = request;
  const {
    message,
    tree,
    parents = [],
    author,
    committer,
  } = request.body as {
    message?: unknown;
    tree?: unknown;
    parents?: unknown;
    author?: Identity;
    committer?: Identity;
  };
  if (typeof message !== 'string') return unprocessable('Invalid request.\n\n"message" wasn\'t supplied.');
  if ((await objectType(gitDir, tree)) !== 'tree') return unprocessable('Tree SHA does not exist');
  if (!Array.isArray(parents)) return unprocessable('Invalid request.\n\n"parents" must be an array.');
  for (const parent of parents) {
    if ((await objectType(gitDir, parent)) !== 'commit') {
      return unprocessable('Parent SHA does not exist or is not a commit object');
    }
  }
  const who: Identity = author ?? committer ?? APP_IDENTITY;
  const by: Identity = committer ?? author ?? APP_IDENTITY;
  const env = {
    GIT_AUTHOR_NAME: String(who.name ?? APP_IDENTITY.name),
    GIT_AUTHOR_EMAIL: String(who.email ?? APP_IDENTITY.email),
    GIT_COMMITTER_NAME: String(by.name ?? APP_IDENTITY.name),
    GIT_COMMITTER_EMAIL: String(by.email ?? APP_IDENTITY.email),
    ...(typeof who.date === 'string' ? { GIT_AUTHOR_DATE: who.date } : {}),
    ...(typeof by.date === 'string' ? { GIT_COMMITTER_DATE: by.date } : {}),
  };
  const args = ['commit-tree', String(tree), ...parents.flatMap((p) => ['-p', String(p)])];
  const sha = (await plumbing(gitDir, args, { input: message, env })).toString('utf8').trim();
  return [201, await commitJson(request, sha)];
}

async function getCommit(request: GitDataRequest, sha: string): Promise<Reply> {
  if ((await objectType(request.gitDir, sha)) !== 'commit') return notFound;
  return [200, await commitJson(request, sha)];
}

async function commitJson(request: GitDataRequest, sha: string) {
  const raw = (await plumbing(request.gitDir, ['cat-file', 'commit', sha])).toString('utf8');
  const split = raw.indexOf('\n\n');
  const headers = (split < 0 ? raw : raw.slice(0, split)).split('\n');
  const message = split < 0 ? '' : raw.slice(split + 2);
  const value = (name: string) =>
    headers.filter((h) => h.startsWith(`${name} `)).map((h) => h.slice(name.length + 1));
  const identity = (line = '') => {
    const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
    return {
      name: match?.[1] ?? '',
      email: match?.[2] ?? '',
      date: new Date(Number(match?.[3] ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  };
  const tree = value('tree')[0] ?? '';
  return {
    sha,
    node_id: Buffer.from(`commit:${sha}`).toString('base64'),
    url: `${request.apiUrl}/git/commits/${sha}`,
    html_url: `${request.htmlUrl}/commit/${sha}`,
    author: identity(value('author')[0]),
    committer: identity(value('committer')[0]),
    message: message.replace(/\n$/, ''),
    tree: { sha: tree, url: `${request.apiUrl}/git/trees/${tree}` },
    parents: value('parent').map((parent) => ({
      sha: parent,
      url: `${request.apiUrl}/git/commits/${parent}`,
      html_url: `${request.htmlUrl}/commit/${parent}`,
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
  };
}

async function getRef(request: GitDataRequest, ref: string): Promise<Reply> {
  // A ref name only: `heads/main~1` names a commit, not a ref.
  if (!(await validRefName(request, ref))) return notFound;
  const sha = await refTarget(request.gitDir, ref);
  return sha ? [200, refJson(request, ref, sha)] : notFound;
}

async function createRef(request: GitDataRequest): Promise<Reply> {
  const { ref, sha } = request.body;
  if (typeof ref !== 'string' || !/^refs\/[^/]+\/.+/.test(ref) || !(await validRefName(request, ref))) {
    return unprocessable('Reference name is invalid');
  }
  if ((await objectType(request.gitDir, sha)) !== 'commit') return unprocessable('Object does not exist');
  try {
    // The empty old value: created only if nobody has it, in one step.
    await plumbing(request.gitDir, ['update-ref', ref, String(sha), '']);
  } catch {
    return unprocessable('Reference already exists');
  }
  return [201, refJson(request, ref, String(sha))];
}

/** Moves a ref; without `force` only forward, and always from the value read here (compare-and-swap). */
async function updateRef(request: GitDataRequest, ref: string): Promise<Reply> {
  const { gitDir } = request;
  const { sha, force = false } = request.body;
  const current = (await validRefName(request, ref)) ? await refTarget(gitDir, ref) : undefined;
  if (!current) return unprocessable('Reference does not exist');
  if ((await objectType(gitDir, sha)) !== 'commit') return unprocessable('Object does not exist');
  const forward = await isAncestor(gitDir, current, String(sha));
  const protection = request.protections[ref.replace(/^refs\/heads\//, '')] as
    | { allow_force_pushes?: boolean }
    | undefined;
  if (!forward && protection && protection.allow_force_pushes !== true) {
    return unprocessable('Cannot force-push to this branch');
  }
  if (!forward && force !== true) return unprocessable('Update is not a fast forward');
  try {
    await plumbing(gitDir, ['update-ref', ref, String(sha), current]);
  } catch {
    // Moved by someone else since it was read: their update wins, as on GitHub.
    return unprocessable('Update is not a fast forward');
  }
  return [200, refJson(request, ref, String(sha))];
}

function refJson(request: GitDataRequest, ref: string, sha: string) {
  return {
    ref,
    node_id: Buffer.from(`ref:${ref}`).toString('base64'),
    url: `${request.apiUrl}/git/${ref}`,
    object: { type: 'commit', sha, url: `${request.apiUrl}/git/commits/${sha}` },
  };
}

async function writeBlob(gitDir: string, bytes: Buffer): Promise<string> {
  return (await plumbing(gitDir, ['hash-object', '-w', '--stdin'], { input: bytes })).toString('utf8').trim();
}

async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  try {
    await plumbing(gitDir, ['merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}

async function validRefName(request: GitDataRequest, ref: string): Promise<boolean> {
  try {
    await plumbing(request.gitDir, ['check-ref-format', ref]);
    return true;
  } catch {
    return false;
  }
}

/** A relative path of plain components: no `..`, `.`, empty component, `.git`, or leading slash. */
function isTreePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.endsWith('/') || path.includes('\0')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && part !== '.git');
}
