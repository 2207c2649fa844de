import type { ServerResponse } from 'node:http';
import { handleGitData } from './git-data-api.ts';
import {
  allows,
  type GitTokenFile,
  type Level,
  type PermissionName,
  type Permissions,
} from './git-token-file.ts';
import {
  isRepositoryName,
  type LocalGitRepositories,
  type PullRecord,
  type RepositoryRecord,
  type StatusRecord,
} from './local-git-repositories.ts';

/** Who is calling: the admin token (the App's stand-in), a verified App JWT, or an installation token. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'app' }
  | { kind: 'installation'; grant: Parameters<typeof allows>[0] };

export interface RestContext {
  baseUrl: string;
  installationId: number;
  /** `free`: private repositories cannot be protected (403), as on GitHub's free plan. */
  plan: 'free' | 'team';
  repositories: LocalGitRepositories;
  tokens: GitTokenFile;
}

export interface RestRequest {
  method: string;
  /** Decoded path segments after `/api/v3`. */
  segments: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  principal: Principal;
}

type Reply = [status: number, body: unknown];

// What the local App was granted at installation; a token can be narrowed, never widened.
const APP_PERMISSIONS: Permissions = {
  administration: 'write',
  contents: 'write',
  metadata: 'read',
  pull_requests: 'write',
  statuses: 'write',
  checks: 'read',
};

const notFound: Reply = [404, { message: 'Not Found' }];
const forbidden: Reply = [403, { message: 'Resource not accessible by integration' }];
const invalid = (resource: string, field: string): Reply => [
  422,
  { message: 'Validation Failed', errors: [{ resource, field, code: 'invalid' }] },
];

/**
 * The handful of GitHub REST endpoints the product calls, in GitHub's request and answer shapes; the
 * Git Data API (`/repos/{o}/{r}/git/...`) is git-data-api.ts.
 */
export async function handleRest(context: RestContext, request: RestRequest, response: ServerResponse) {
  const [status, body] = await route(context, request);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(status === 204 ? undefined : JSON.stringify(body));
}

async function route(context: RestContext, request: RestRequest): Promise<Reply> {
  const { method, segments: s, principal } = request;
  const { repositories } = context;
  const may = (permission: PermissionName, level: Level, repository?: string) =>
    principal.kind === 'admin' ||
    (principal.kind === 'installation' && allows(principal.grant, permission, level, repository));

  if (
    method === 'POST' &&
    s.length === 4 &&
    s[0] === 'app' &&
    s[1] === 'installations' &&
    s[3] === 'access_tokens'
  ) {
    if (principal.kind !== 'admin' && principal.kind !== 'app')
      return [401, { message: 'A JSON web token could not be decoded' }];
    if (s[2] !== String(context.installationId)) return notFound;
    return mintToken(context, request.body);
  }
  if (principal.kind === 'app') return forbidden;

  if (method === 'POST' && s.length === 3 && s[0] === 'orgs' && s[2] === 'repos') {
    if (s[1] !== repositories.org) return notFound;
    if (!may('administration', 'write')) return forbidden;
    return createRepository(context, request.body);
  }
  if (s[0] !== 'repos' || s.length < 3) return notFound;
  const name = s[2]!;
  const record = s[1] === repositories.org ? repositories.get(name) : undefined;
  // As GitHub does, a repository the caller may not see does not exist.
  if (!record || !may('metadata', 'read', name)) return notFound;
  const rest = s.slice(3);
  if (rest[0] === 'git') {
    return handleGitData({
      method,
      path: rest.slice(1),
      query: request.query,
      body: request.body,
      gitDir: repositories.bareDir(name),
      apiUrl: `${context.baseUrl}/api/v3/repos/${repositories.org}/${name}`,
      htmlUrl: `${context.baseUrl}/${repositories.org}/${name}`,
      protections: record.protections,
      may: (level) => may('contents', level, name),
    });
  }

  if (method === 'GET' && rest.length === 0) return [200, repositoryJson(context, record)];
  if (rest.length === 1 && rest[0] === 'pulls') {
    if (method === 'GET') {
      if (!may('pull_requests', 'read', name)) return forbidden;
      return [200, await listPulls(context, record, request.query)];
    }
    if (method === 'POST') {
      if (!may('pull_requests', 'write', name)) return forbidden;
      return createPull(context, record, request.body);
    }
  }
  if (method === 'GET' && rest.length === 2 && rest[0] === 'branches') {
    if (!may('contents', 'read', name)) return forbidden;
    return branchJson(context, record, rest[1]!);
  }
  if (method === 'POST' && rest.length === 2 && rest[0] === 'statuses') {
    if (!may('statuses', 'write', name)) return forbidden;
    return createStatus(context, record, rest[1]!, request.body);
  }
  if (method === 'GET' && rest.length === 3 && rest[0] === 'commits' && rest[2] === 'status') {
    if (!may('statuses', 'read', name)) return forbidden;
    return combinedStatus(context, record, rest[1]!);
  }
  if (method === 'GET' && rest.length === 3 && rest[0] === 'commits' && rest[2] === 'check-runs') {
    if (!may('checks', 'read', name)) return forbidden;
    // No CI runs here: a commit has no check runs (its statuses are the checks).
    return [200, { total_count: 0, check_runs: [] }];
  }
  if (method === 'GET' && rest.length >= 2 && rest[0] === 'contents') {
    if (!may('contents', 'read', name)) return forbidden;
    const path = rest.slice(1).join('/');
    const ref = request.query.get('ref') ?? 'HEAD';
    const content = await repositories.readFile(name, ref, path);
    if (!content) return [404, { message: 'Not Found' }];
    return [
      200,
      {
        type: 'file',
        encoding: 'base64',
        path,
        name: rest.at(-1),
        size: content.length,
        content: content.toString('base64'),
      },
    ];
  }
  if (method === 'PUT' && rest.length === 3 && rest[0] === 'branches' && rest[2] === 'protection') {
    if (!may('administration', 'write', name)) return forbidden;
    const branch = rest[1]!;
    if (!(await repositories.hasBranch(name, branch))) return [404, { message: 'Branch not found' }];
    if (context.plan === 'free' && record.private) {
      return [
        403,
        { message: 'Upgrade to GitHub Pro or make this repository public to enable this feature.' },
      ];
    }
    await repositories.protect(name, branch, request.body);
    return [
      200,
      {
        url: `${context.baseUrl}/api/v3/repos/${repositories.org}/${record.name}/branches/${branch}/protection`,
      },
    ];
  }
  return notFound;
}

async function mintToken(context: RestContext, body: Record<string, unknown>): Promise<Reply> {
  const names = body.repositories;
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) {
    return invalid('Installation', 'repositories');
  }
  const records = (names as string[] | undefined)?.map((n) => context.repositories.get(n));
  if (records?.some((r) => r === undefined)) {
    return [
      422,
      {
        message:
          'There is at least one repository that does not exist or is not accessible to the parent installation.',
      },
    ];
  }
  const requested = (body.permissions ?? APP_PERMISSIONS) as Record<string, unknown>;
  for (const [permission, level] of Object.entries(requested)) {
    const granted = APP_PERMISSIONS[permission as PermissionName];
    if (!granted || (level !== 'read' && level !== 'write') || (level === 'write' && granted !== 'write')) {
      return [
        422,
        { message: `The permissions requested are not granted to this installation: ${permission}` },
      ];
    }
  }
  const permissions = requested as Permissions;
  const repositories = records ? (names as string[]) : 'all';
  const { token, expiresAt } = await context.tokens.mint({ repositories, permissions });
  return [
    201,
    {
      token,
      expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions,
      repository_selection: records ? 'selected' : 'all',
      ...(records ? { repositories: records.map((r) => repositoryJson(context, r!)) } : {}),
    },
  ];
}

async function createRepository(context: RestContext, body: Record<string, unknown>): Promise<Reply> {
  const name = body.name;
  if (typeof name !== 'string' || !isRepositoryName(name)) return invalid('Repository', 'name');
  const created = await context.repositories.create(name, {
    description: typeof body.description === 'string' ? body.description : '',
    // GitHub's default for an organisation repository created through the API is public.
    private: body.private === true || body.visibility === 'private',
    // As on GitHub: a first commit with a README, so the Git Data API has something to build on.
    autoInit: body.auto_init === true,
  });
  if (!created) {
    return [
      422,
      {
        message: 'Repository creation failed.',
        errors: [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name already exists on this account',
          },
        ],
      },
    ];
  }
  return [201, repositoryJson(context, created)];
}

async function listPulls(context: RestContext, record: RepositoryRecord, query: URLSearchParams) {
  const state = query.get('state') ?? 'open';
  const head = query.get('head');
  // `head` is `owner:branch` on GitHub; another owner's branch never matches here.
  const [owner, branch] = head?.includes(':') ? head.split(/:(.*)/s) : [context.repositories.org, head];
  const pulls = record.pulls
    .filter((p) => state === 'all' || p.state === state)
    .filter((p) => head === null || (owner === context.repositories.org && p.head === branch))
    .filter((p) => !query.get('base') || p.base === query.get('base'))
    .reverse();
  return Promise.all(pulls.map((p) => pullJson(context, record, p)));
}

async function createPull(
  context: RestContext,
  record: RepositoryRecord,
  body: Record<string, unknown>,
): Promise<Reply> {
  const { repositories } = context;
  const { head, base, title } = body;
  if (typeof title !== 'string' || title === '') return invalid('PullRequest', 'title');
  for (const [field, branch] of [
    ['base', base],
    ['head', head],
  ] as const) {
    if (typeof branch !== 'string' || !(await repositories.hasBranch(record.name, branch))) {
      return invalid('PullRequest', field);
    }
  }
  const pull = await repositories.addPull(record.name, {
    title,
    body: typeof body.body === 'string' ? body.body : '',
    head: head as string,
    base: base as string,
  });
  if (!pull) {
    const message = `A pull request already exists for ${repositories.org}:${head}.`;
    return [
      422,
      { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message }] },
    ];
  }
  return [201, await pullJson(context, record, pull)];
}

function repositoryJson(context: RestContext, record: RepositoryRecord) {
  const org = context.repositories.org;
  return {
    id: record.id,
    name: record.name,
    full_name: `${org}/${record.name}`,
    owner: { login: org, type: 'Organization' },
    private: record.private,
    visibility: record.private ? 'private' : 'public',
    description: record.description,
    html_url: `${context.baseUrl}/${org}/${record.name}`,
    clone_url: `${context.baseUrl}/${org}/${record.name}.git`,
    url: `${context.baseUrl}/api/v3/repos/${org}/${record.name}`,
    default_branch: 'main',
    created_at: record.createdAt,
  };
}

async function pullJson(context: RestContext, record: RepositoryRecord, pull: PullRecord) {
  const org = context.repositories.org;
  const head = await context.repositories.branchHead(record.name, pull.head);
  return {
    number: pull.number,
    state: pull.state,
    title: pull.title,
    body: pull.body,
    merged_at: null,
    html_url: `${context.baseUrl}/${org}/${record.name}/pull/${pull.number}`,
    head: { ref: pull.head, label: `${org}:${pull.head}`, sha: head?.sha ?? null },
    base: { ref: pull.base, label: `${org}:${pull.base}` },
    created_at: pull.createdAt,
  };
}

/** GET /repos/{owner}/{repo}/branches/{branch}: the branch and its newest commit. */
async function branchJson(context: RestContext, record: RepositoryRecord, branch: string): Promise<Reply> {
  const head = await context.repositories.branchHead(record.name, branch);
  if (!head) return [404, { message: 'Branch not found' }];
  const person = { name: 'local', email: 'local@localhost', date: head.date };
  return [
    200,
    {
      name: branch,
      commit: {
        sha: head.sha,
        commit: { message: head.message, author: person, committer: person },
      },
      protected: Object.hasOwn(record.protections, branch),
    },
  ];
}

const STATUS_STATES = ['error', 'failure', 'pending', 'success'] as const;

/** POST /repos/{owner}/{repo}/statuses/{sha} */
async function createStatus(
  context: RestContext,
  record: RepositoryRecord,
  sha: string,
  body: Record<string, unknown>,
): Promise<Reply> {
  const state = STATUS_STATES.find((s) => s === body.state);
  if (!state) return invalid('Status', 'state');
  if (!/^[0-9a-f]{40}$/.test(sha)) return [422, { message: `No commit found for SHA: ${sha}` }];
  const status = await context.repositories.addStatus(record.name, sha, {
    state,
    context: typeof body.context === 'string' ? body.context : 'default',
    description: typeof body.description === 'string' ? body.description : null,
    target_url: typeof body.target_url === 'string' ? body.target_url : null,
  });
  return [201, status];
}

/**
 * GET /repos/{owner}/{repo}/commits/{ref}/status, as GitHub combines it: the newest status per
 * context; failure if any is error or failure, pending if any is pending (or there is none),
 * else success.
 */
async function combinedStatus(context: RestContext, record: RepositoryRecord, ref: string): Promise<Reply> {
  const sha = /^[0-9a-f]{40}$/.test(ref)
    ? ref
    : (await context.repositories.branchHead(record.name, ref))?.sha;
  if (!sha) return [422, { message: `No commit found for SHA: ${ref}` }];
  const latest = new Map<string, StatusRecord>();
  for (const status of context.repositories.statusesOf(record.name, sha)) latest.set(status.context, status);
  const statuses = [...latest.values()].reverse();
  const states = statuses.map((s) => s.state);
  const state =
    states.includes('error') || states.includes('failure')
      ? 'failure'
      : states.length === 0 || states.includes('pending')
        ? 'pending'
        : 'success';
  return [200, { state, sha, total_count: statuses.length, statuses }];
}
