import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { close, listen, readBody } from './http-util.ts';

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's 10 MB payload limit; the handler applies the product's own, smaller limit. */
const GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024;

/**
 * An app mounted under a path prefix (the admin API under /api; `''`: every path): it gets every
 * method and path below it, and may answer with a stream (server-sent events), written as it comes until the
 * client goes away.
 */
export type MountedApp = (
  event: APIGatewayProxyEventV2,
  signal: AbortSignal,
) => Promise<{
  statusCode: number;
  headers: Record<string, string>;
  body?: string;
  bodyStream?: AsyncIterable<string>;
}>;

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
  mounts: Record<string, MountedApp> = {},
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
    const mount = Object.keys(mounts).find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    const handler = routes[routeKey];
    if (!handler && mount === undefined) {
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
    if (mount !== undefined) {
      await serveMounted(mounts[mount]!, event, response);
      return;
    }
    try {
      const result = await handler!(event, lambdaContext(requestId));
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

async function serveMounted(
  app: MountedApp,
  event: APIGatewayProxyEventV2,
  response: ServerResponse,
): Promise<void> {
  const gone = new AbortController();
  response.on('close', () => gone.abort());
  try {
    const result = await app(event, gone.signal);
    response.writeHead(result.statusCode, result.headers);
    if (!result.bodyStream) {
      response.end(result.body ?? '');
      return;
    }
    response.flushHeaders();
    for await (const chunk of result.bodyStream) {
      if (gone.signal.aborted) break;
      response.write(chunk);
    }
    response.end();
  } catch {
    if (!response.headersSent) {
      response
        .writeHead(500, { 'content-type': 'application/json' })
        .end('{"message":"Internal Server Error"}');
    } else response.destroy();
  }
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
