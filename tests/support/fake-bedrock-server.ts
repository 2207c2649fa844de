import { createServer, type Http2Session, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';

/**
 * A local Bedrock Runtime endpoint speaking Converse's REST-JSON wire format, for contract tests
 * with the real BedrockRuntimeClient (`endpoint` override). It is HTTP/2 cleartext because the
 * client's default request handler is NodeHttp2Handler (it speaks h2 with prior knowledge to an
 * http:// endpoint, so an HTTP/1.1 server fails with ERR_HTTP2_ERROR). Answers come from a queue
 * scripted by the test; every request is recorded. Errors are what Bedrock sends: the type in the
 * `x-amzn-errortype` header (`Name:namespace-uri`) and `{ message }` in the body.
 */
export interface FakeBedrockReply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
  /** Holds the answer back this long (to trip the client's timeout). */
  delayMs?: number;
}

export interface FakeBedrockRequest {
  method: string;
  /** Raw request path, still percent-encoded. */
  path: string;
  /** Decoded `{modelId}` label of `/model/{modelId}/converse`, undefined for any other path. */
  modelId: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeBedrockServer {
  endpoint: string;
  requests: FakeBedrockRequest[];
  /** Queues answers, served one per request in order. */
  reply(...replies: FakeBedrockReply[]): void;
  reset(): void;
  close(): Promise<void>;
}

const CONVERSE_PATH = /^\/model\/([^/]+)\/(?:converse|invoke)$/;
const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

export const converseOk = (body: Record<string, unknown>, delayMs?: number): FakeBedrockReply => ({
  status: 200,
  body,
  delayMs,
});

export const bedrockError = (
  type: string,
  status: number,
  message = `${type} from the fake`,
): FakeBedrockReply => ({
  status,
  headers: { 'x-amzn-errortype': `${type}:${ERROR_NAMESPACE}` },
  body: { message },
});

export async function startFakeBedrockServer(): Promise<FakeBedrockServer> {
  const queue: FakeBedrockReply[] = [];
  const requests: FakeBedrockRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sessions = new Set<Http2Session>();
  let requestCount = 0;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '';
    const label = CONVERSE_PATH.exec(path)?.[1];
    requests.push({
      method: request.method ?? '',
      path,
      modelId: label === undefined ? undefined : decodeURIComponent(label),
      headers: request.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
    });
    requestCount++;
    const scripted =
      request.method === 'POST' && label !== undefined
        ? queue.shift()
        : bedrockError('UnknownOperationException', 404, `No route for ${request.method} ${path}`);
    const reply = scripted ?? bedrockError('InternalServerException', 500, 'No scripted reply left');
    const send = () => {
      timers.delete(timer);
      if (response.stream.destroyed || response.stream.closed) return; // the client gave up meanwhile
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        'x-amzn-requestid': `req-${requestCount}`,
        ...reply.headers,
      });
      response.end(JSON.stringify(reply.body));
    };
    const timer = setTimeout(send, reply.delayMs ?? 0);
    timers.add(timer);
  });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        for (const session of sessions) session.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
