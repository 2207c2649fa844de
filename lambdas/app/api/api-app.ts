import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { PROBLEM_CONTENT_TYPE, type Problem, ProblemError, problem } from './problem.ts';
import type { Route, RouteResult } from './route.ts';
import { Router } from './router.ts';
import { formatSse, RETRY_FIELD } from './sse.ts';

/** What an HTTP API answers; `bodyStream` (local stack only) is written as it comes. */
export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body?: string;
  bodyStream?: AsyncIterable<string>;
}

export type Authenticated<A> =
  | { ok: true; auth: A /** The rate-limit bucket: the key's id. */; bucket: string }
  | { ok: false; status: 401 | 403; detail: string };

export interface ApiAppOptions<S, A> {
  routes: readonly Route<S, A>[];
  /** Built on first use (a cold start that only refuses a key builds nothing else). */
  services: () => S | Promise<S>;
  /** `/api` in the local stack; empty on API Gateway, where the API has its own domain. */
  basePath: string;
  authenticate(key: string | undefined): Promise<Authenticated<A>>;
  rateLimit(bucket: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
  /** Problems for the domain's own errors (not found, forbidden, ...); undefined: a 500. */
  mapError(error: unknown): Problem | undefined;
  /** The OpenAPI document, served at GET <basePath>/openapi.json without a key. */
  openApi(): Record<string, unknown>;
  logger: { error(message: string, fields: Record<string, unknown>): void };
  maxBodyBytes?: number;
  /** How soon a client of the buffered event stream polls again. */
  sseRetryMs?: number;
}

export interface ApiApp {
  /**
   * `streaming`: server-sent events are streamed until the run ends (the local stack); otherwise
   * the events that exist now are answered at once, with a retry hint (a buffered Lambda).
   */
  handle(
    event: APIGatewayProxyEventV2,
    mode?: { streaming?: boolean; signal?: AbortSignal },
  ): Promise<ApiResponse>;
}

export const OPENAPI_PATH = '/openapi.json';

// Every answer is data for one caller: never cached, never sniffed as anything but its type.
const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const JSON_HEADERS = { 'content-type': 'application/json', ...NO_STORE };

/**
 * The admin API's HTTP glue, free of domain code: route matching, the API key and the per-key rate
 * limit, input validation with the routes' zod schemas, and every error as a problem document that
 * says what the caller can act on and nothing about the internals.
 */
export function createApiApp<S, A>(options: ApiAppOptions<S, A>): ApiApp {
  const router = new Router(options.routes);
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  return {
    async handle(event, mode = {}) {
      const requestId = event.requestContext?.requestId ?? randomUUID();
      const fail = (p: Problem, headers: Record<string, string> = {}): ApiResponse => ({
        statusCode: p.status,
        headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...NO_STORE, ...headers },
        body: JSON.stringify({ ...p, instance: requestId }),
      });
      try {
        const method = event.requestContext?.http?.method ?? 'GET';
        const fullPath = event.rawPath ?? '/';
        if (!fullPath.startsWith(options.basePath)) return fail(problem(404));
        const path = fullPath.slice(options.basePath.length) || '/';
        const headers = lowerCase(event.headers);
        if (method === 'GET' && path === OPENAPI_PATH) {
          return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(options.openApi()) };
        }
        const match = router.match(method, path);
        const isPublic = match.kind === 'found' && match.route.public === true;
        let auth: A | undefined;
        if (!isPublic) {
          const who = await options.authenticate(keyFrom(headers));
          if (!who.ok) return fail(problem(who.status, who.detail));
          const rate = await options.rateLimit(who.bucket);
          if (!rate.allowed) {
            return fail(
              problem(429, `Over this key's rate limit: try again in ${rate.retryAfterSeconds} s.`, {
                retryAfterSeconds: rate.retryAfterSeconds,
              }),
              { 'retry-after': String(rate.retryAfterSeconds) },
            );
          }
          auth = who.auth;
        }
        if (match.kind === 'not_found') return fail(problem(404, `No route ${method} ${path}.`));
        if (match.kind === 'method_not_allowed') {
          return fail(problem(405, `Allowed: ${match.allowed.join(', ')}.`), {
            allow: match.allowed.join(', '),
          });
        }
        const { route } = match;
        const input = parseInput(route, match.params, event, headers, maxBodyBytes);
        if (!input.ok) return fail(input.problem);
        const result = await route.handle(
          { ...input.value, auth: auth as A, headers, requestId },
          await options.services(),
        );
        return await respond(result, headers, mode, options.sseRetryMs ?? 2000);
      } catch (error) {
        if (error instanceof ProblemError) return fail(error.problem);
        const mapped = options.mapError(error);
        if (mapped) return fail(mapped);
        // The caller gets the request id; the logs get the error.
        options.logger.error('api request failed', { requestId, error: String(error) });
        return fail(problem(500, 'Something went wrong on our side; quote the instance id to an operator.'));
      }
    },
  };
}

function keyFrom(headers: Record<string, string>): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  return bearer ?? headers['x-api-key']?.trim() ?? undefined;
}

type Parsed =
  | { ok: true; value: { params: unknown; query: unknown; body: unknown } }
  | { ok: false; problem: Problem };

function parseInput<S, A>(
  route: Route<S, A>,
  rawParams: Record<string, string>,
  event: APIGatewayProxyEventV2,
  headers: Record<string, string>,
  maxBodyBytes: number,
): Parsed {
  const errors: Array<{ path: string; message: string }> = [];
  const check = (where: string, schema: z.ZodType | undefined, value: unknown): unknown => {
    if (!schema) return undefined;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      errors.push({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message });
    }
    return undefined;
  };
  const params = check('path', route.params, rawParams);
  const query = check(
    'query',
    route.query,
    Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
  );
  let body: unknown;
  if (route.body) {
    const raw = event.body
      ? event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body
      : '';
    if (Buffer.byteLength(raw) > maxBodyBytes) {
      return { ok: false, problem: problem(413, `Bodies are at most ${maxBodyBytes} bytes.`) };
    }
    const type = headers['content-type'] ?? 'application/json';
    if (raw.trim() !== '' && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      return { ok: false, problem: problem(415) };
    }
    let json: unknown = {};
    if (raw.trim() !== '') {
      try {
        json = JSON.parse(raw);
      } catch {
        return { ok: false, problem: problem(400, 'The body is not valid JSON.') };
      }
    }
    body = check('body', route.body, json);
  }
  if (errors.length > 0) {
    return {
      ok: false,
      problem: problem(400, errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }),
    };
  }
  return { ok: true, value: { params, query, body } };
}

async function respond(
  result: RouteResult,
  headers: Record<string, string>,
  mode: { streaming?: boolean; signal?: AbortSignal },
  retryMs: number,
): Promise<ApiResponse> {
  if (!('events' in result)) {
    return {
      statusCode: result.status,
      headers: { ...JSON_HEADERS, ...result.headers },
      ...(result.body !== undefined ? { body: JSON.stringify(result.body) } : {}),
    };
  }
  const sseHeaders = { 'content-type': 'text/event-stream', ...NO_STORE };
  const lastEventId = headers['last-event-id'];
  const signal = mode.signal ?? new AbortController().signal;
  const events = result.events({
    ...(lastEventId ? { lastEventId } : {}),
    follow: mode.streaming === true,
    signal,
  });
  if (mode.streaming) {
    return {
      statusCode: 200,
      headers: sseHeaders,
      bodyStream: (async function* () {
        yield RETRY_FIELD(retryMs);
        for await (const event of events) yield formatSse(event);
      })(),
    };
  }
  let body = RETRY_FIELD(retryMs);
  for await (const event of events) body += formatSse(event);
  return { statusCode: 200, headers: sseHeaders, body };
}

function lowerCase(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {}))
    if (value !== undefined) result[name.toLowerCase()] = value;
  return result;
}
