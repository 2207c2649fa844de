import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible endpoint (`POST {baseUrl}/chat/completions`, as OpenAI, Ollama and
 * vLLM serve it) for contract tests with the real global fetch. Answers come from a queue
 * scripted by the test; every request is recorded. Errors are OpenAI's shape:
 * `{ error: { message, type, code } }` with the HTTP status.
 */
export interface FakeOpenAiReply {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON, or as it is when a string (to send a body that is not JSON). */
  body: unknown;
  /** Holds the answer back this long (to trip the client's timeout). */
  delayMs?: number;
}

export interface FakeOpenAiRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeOpenAiServer {
  /** What the adapter takes as `baseUrl`. */
  baseUrl: string;
  requests: FakeOpenAiRequest[];
  /** Queues answers, served one per request in order. */
  reply(...replies: FakeOpenAiReply[]): void;
  reset(): void;
  close(): Promise<void>;
}

const BASE_PATH = '/v1';

export const completionOk = (body: Record<string, unknown>, delayMs?: number): FakeOpenAiReply => ({
  status: 200,
  body,
  delayMs,
});

export const openAiError = (
  status: number,
  message: string,
  headers?: Record<string, string>,
): FakeOpenAiReply => ({
  status,
  headers,
  body: {
    error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', code: null },
  },
});

export async function startFakeOpenAiServer(): Promise<FakeOpenAiServer> {
  const queue: FakeOpenAiReply[] = [];
  const requests: FakeOpenAiRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '';
    requests.push({
      method: request.method ?? '',
      path,
      headers: request.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
    });
    const routed = request.method === 'POST' && path === `${BASE_PATH}/chat/completions`;
    const reply = routed
      ? (queue.shift() ?? openAiError(500, 'No scripted reply left'))
      : openAiError(404, `No route for ${request.method} ${path}`);
    const send = () => {
      timers.delete(timer);
      if (response.destroyed) return; // the client gave up (timeout) while we waited
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    };
    const timer = setTimeout(send, reply.delayMs ?? 0);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${BASE_PATH}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
