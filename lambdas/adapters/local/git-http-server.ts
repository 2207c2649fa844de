import { createHash, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { verifyAppJwt } from './app-jwt.ts';
import { runHttpBackend } from './git-cgi.ts';
import { handleRest, type Principal, type RestContext } from './git-rest-api.ts';
import { allows, GitTokenFile } from './git-token-file.ts';
import { isRepositoryName, LocalGitRepositories } from './local-git-repositories.ts';

export interface LocalGitServerOptions {
  /** Repositories go to `<dataDir>/git/<org>/<name>.git`, tokens and metadata to `<dataDir>/git-host/`. */
  dataDir: string;
  /** The one organisation this server hosts. */
  org: string;
  /** Loopback port; 0 (the default) picks a free one. */
  port?: number;
  /** Bearer token for the REST API (the local App's stand-in); random when absent. */
  adminToken?: string;
  /** A GitHub App whose JWTs may mint installation tokens, as on GitHub. */
  app?: { appId: string | number; publicKey: string | KeyObject };
  installationId?: number;
  /** `free`: private repositories cannot be protected, as on GitHub's free plan. Default `team`. */
  plan?: 'free' | 'team';
  /** Epoch ms; decides token and JWT expiry. */
  now?: () => number;
}

export interface LocalGitServer {
  /** `http://127.0.0.1:PORT`: clone URLs are `<url>/<org>/<name>.git`, the REST API is `<url>/api/v3`. */
  url: string;
  apiUrl: string;
  org: string;
  adminToken: string;
  installationId: number;
  stop(): Promise<void>;
}

const MAX_JSON_BODY = 1024 * 1024;
// Smart HTTP plus the dumb-protocol files http-backend serves; no other path reaches it.
const GIT_PATH = new RegExp(
  '^/([^/]+)/([^/]+)\\.git(/(?:info/refs|git-upload-pack|git-receive-pack|HEAD|objects/info/[a-z-]+|' +
    'objects/[0-9a-f]{2}/[0-9a-f]{38,62}|objects/pack/pack-[0-9a-f]{40,64}\\.(?:pack|idx)))$',
);

/**
 * A GitHub stand-in on loopback: clone and push over smart HTTP by real `git http-backend`, with
 * installation tokens checked per repository, and the REST endpoints the product uses.
 */
export async function startLocalGitServer(options: LocalGitServerOptions): Promise<LocalGitServer> {
  const now = options.now ?? Date.now;
  const stateDir = join(options.dataDir, 'git-host');
  const gitRoot = join(options.dataDir, 'git');
  for (const dir of [stateDir, gitRoot]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
  const adminToken = options.adminToken ?? `local_admin_${randomBytes(24).toString('base64url')}`;
  const repositories = new LocalGitRepositories(gitRoot, options.org, join(stateDir, 'state.json'));
  const tokens = new GitTokenFile(join(stateDir, 'tokens.json'), now);
  const context: RestContext = {
    baseUrl: '',
    installationId: options.installationId ?? 1,
    plan: options.plan ?? 'team',
    repositories,
    tokens,
  };

  const restPrincipal = (header: string | undefined): Principal | undefined => {
    const credential = header?.match(/^(?:token|bearer)\s+(\S+)$/i)?.[1];
    if (!credential) return undefined;
    if (sameSecret(credential, adminToken)) return { kind: 'admin' };
    if (options.app && credential.split('.').length === 3) {
      return verifyAppJwt(credential, options.app, now()) ? { kind: 'app' } : undefined;
    }
    const check = tokens.check(credential);
    return check.status === 'valid' ? { kind: 'installation', grant: check.grant } : undefined;
  };

  const serveRest = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const principal = restPrincipal(request.headers.authorization);
    if (!principal) return json(response, 401, { message: 'Bad credentials' });
    const raw = await readBody(request);
    let body: Record<string, unknown> = {};
    try {
      if (raw) body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return json(response, 400, { message: 'Problems parsing JSON' });
    }
    const segments = url.pathname.slice('/api/v3/'.length).split('/').map(decodeURIComponent);
    const method = request.method ?? 'GET';
    await handleRest(context, { method, segments, query: url.searchParams, body, principal }, response);
  };

  const serveGit = (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const match = url.pathname.match(GIT_PATH);
    const [, org, name] = match ?? [];
    if (!match || org !== options.org || !name || !isRepositoryName(name)) return json(response, 404, {});
    const token = basicPassword(request.headers.authorization);
    const check = token ? tokens.check(token) : { status: 'unknown' as const };
    if (check.status !== 'valid') {
      // git sends the URL's credentials only after this challenge; a bad or expired token gets it too.
      response.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' });
      return response.end('Authentication required\n');
    }
    const pushing =
      match[3] === '/git-receive-pack' || url.searchParams.get('service') === 'git-receive-pack';
    if (!allows(check.grant, 'contents', pushing ? 'write' : 'read', name)) {
      response.writeHead(403, { 'content-type': 'text/plain' });
      return response.end(`Permission to ${org}/${name}.git denied\n`);
    }
    if (!repositories.get(name)) return json(response, 404, { message: 'Repository not found' });
    return runHttpBackend(request, response, {
      projectRoot: gitRoot,
      pathInfo: url.pathname,
      query: url.search.slice(1),
      remoteUser: 'x-access-token',
    });
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const serve = url.pathname.startsWith('/api/v3/') ? serveRest : serveGit;
    Promise.resolve(serve(request, response, url)).catch(() => {
      if (!response.headersSent) json(response, 500, { message: 'Internal error' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context.baseUrl = url;
  return {
    url,
    apiUrl: `${url}/api/v3`,
    org: options.org,
    adminToken,
    installationId: context.installationId,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function basicPassword(header: string | undefined): string | undefined {
  const encoded = header?.match(/^basic\s+(\S+)$/i)?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw new Error('Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
