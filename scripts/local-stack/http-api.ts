import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { close, listen, readBody } from './http-util.ts';

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** A handler that is not an API Gateway route: a plain request in, a response out (e.g. the run inspector). */
export type PlainHttpHandler = (request: {
  method: string;
  path: string;
  query: Record<string, string>;
}) => Promise<{ status: number; headers: Record<string, string>; body: string }>;

/** API Gateway's 10 MB payload limit; the handler applies the product's own, smaller limit. */
const GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024;

export interface LocalHttpApi {
  url: string;
  stop(): Promise<void>;
}

/**
 * The HTTP API's routes on loopback, each turned into the API Gateway v2 event the deployed
 * Lambda receives and handed to the same handler module.
 */
export async function startHttpApi(
  routes: Record<string, HttpHandler>,
  port = 0,
  /** Local-only read-outs (not API Gateway routes), e.g. GET /metrics. */
  readouts: Record<string, () => unknown> = {},
  /** Plain handlers by path prefix (`/inspector` serves `/inspector` and everything under it). */
  mounts: Record<string, PlainHttpHandler> = {},
): Promise<LocalHttpApi> {
  const server = createServer(async (request, response) => {
    const [path = '/', rawQueryString = ''] = (request.url ?? '/').split('?', 2);
    const routeKey = `${request.method} ${path}`;
    if (routeKey === 'GET /health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const readout = request.method === 'GET' ? readouts[path] : undefined;
    if (readout) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(readout()));
      return;
    }
    const mount = Object.entries(mounts).find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`));
    if (mount) {
      const query = Object.fromEntries(new URLSearchParams(rawQueryString));
      const result = await mount[1]({ method: request.method ?? 'GET', path, query }).catch(() => undefined);
      if (!result) response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
      else response.writeHead(result.status, result.headers).end(result.body);
      return;
    }
    const handler = routes[routeKey];
    if (!handler) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    const body = await readBody(request, GATEWAY_PAYLOAD_LIMIT);
    if (body === undefined) {
      response
        .writeHead(413, { 'content-type': 'application/json' })
        .end('{"message":"Request Entity Too Large"}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers[name] = value;
      else if (Array.isArray(value)) headers[name] = value.join(',');
    }
    const requestId = randomUUID();
    const event = {
      version: '2.0',
      routeKey,
      rawPath: path,
      rawQueryString,
      headers,
      body,
      isBase64Encoded: false,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'local',
        http: {
          method: request.method ?? 'GET',
          path,
          protocol: 'HTTP/1.1',
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey,
        stage: '$default',
        time: new Date().toISOString(),
        timeEpoch: Date.now(),
      },
    } as APIGatewayProxyEventV2;
    try {
      const result = await handler(event, lambdaContext(requestId));
      response
        .writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>)
        .end(result.body ?? '');
    } catch {
      response
        .writeHead(500, { 'content-type': 'application/json' })
        .end('{"message":"Internal Server Error"}');
    }
  });
  const url = await listen(server, port);
  return { url, stop: () => close(server) };
}

export function lambdaContext(requestId: string, timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
