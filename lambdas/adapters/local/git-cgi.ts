import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

export interface CgiRequest {
  /** Directory holding `<org>/<name>.git`. */
  projectRoot: string;
  /** `/<org>/<name>.git/info/refs` and the like; already checked against traversal. */
  pathInfo: string;
  query: string;
  /** Set only after the token check; its presence is what lets http-backend accept receive-pack. */
  remoteUser: string;
}

/**
 * Runs real `git http-backend` as a CGI program for one request: the request body is streamed to
 * its stdin, its CGI headers (with `Status:`) become the HTTP head, the rest streams back as is.
 */
export function runHttpBackend(request: IncomingMessage, response: ServerResponse, cgi: CgiRequest) {
  const header = (name: string) => request.headers[name] as string | undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // Repositories are served by their own config only, never the machine's or a user's.
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: cgi.projectRoot,
    GIT_PROJECT_ROOT: cgi.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: cgi.pathInfo,
    REQUEST_METHOD: request.method ?? 'GET',
    QUERY_STRING: cgi.query,
    REMOTE_USER: cgi.remoteUser,
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
  };
  const optional: Array<[string, string | undefined]> = [
    ['CONTENT_TYPE', header('content-type')],
    // Absent for chunked bodies: http-backend then reads to end of input.
    ['CONTENT_LENGTH', header('content-length')],
    ['HTTP_CONTENT_ENCODING', header('content-encoding')],
    // Protocol v2 is negotiated through this header.
    ['GIT_PROTOCOL', header('git-protocol')],
  ];
  for (const [name, value] of optional) if (value !== undefined) env[name] = value;

  return new Promise<void>((resolve) => {
    const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    request.pipe(child.stdin);
    // The backend may answer (an error) before reading the whole body.
    child.stdin.on('error', () => undefined);

    let head = Buffer.alloc(0);
    let headerDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const split = findHeaderEnd(head);
      if (!split) return;
      headerDone = true;
      writeHead(response, head.subarray(0, split.at).toString('latin1'));
      response.write(head.subarray(split.at + split.length));
    });
    child.on('error', () => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
      resolve();
    });
    child.on('close', () => {
      if (!response.headersSent) response.writeHead(headerDone ? 200 : 502);
      response.end();
      resolve();
    });
  });
}

function findHeaderEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}

function writeHead(response: ServerResponse, block: string): void {
  let status = 200;
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else response.setHeader(name, value);
  }
  response.writeHead(status);
}
