import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Anthropic Messages API (`POST /v1/messages`, SSE when `stream: true`) for driving the
 * real Claude Code CLI offline (`ANTHROPIC_BASE_URL`). Turns of the agent loop (requests that carry
 * tools) are answered from a queue scripted by the test; the CLI's side requests without tools
 * (titles, quota probes) get a short text and leave the queue alone. Every request is recorded.
 */
export type FakeBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface FakeTurn {
  content: FakeBlock[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens';
  usage: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
}

export interface FakeAnthropicRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Whether it was an agent turn (served from the queue). */
  turn: boolean;
}

export interface FakeAnthropicServer {
  baseUrl: string;
  requests: FakeAnthropicRequest[];
  reply(...turns: FakeTurn[]): void;
  close(): Promise<void>;
}

const SIDE_REPLY: FakeTurn = {
  content: [{ type: 'text', text: 'ok' }],
  stopReason: 'end_turn',
  usage: { input: 1, output: 1 },
};

export async function startFakeAnthropicServer(): Promise<FakeAnthropicServer> {
  const queue: FakeTurn[] = [];
  const requests: FakeAnthropicRequest[] = [];
  let messageCount = 0;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? '').split('?')[0] ?? '';
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    if (request.method !== 'POST' || path !== '/v1/messages') {
      requests.push({ path, headers: request.headers, body, turn: false });
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: path } }));
      return;
    }
    const turn = Array.isArray(body.tools) && body.tools.length > 0;
    requests.push({ path, headers: request.headers, body, turn });
    const scripted = turn ? (queue.shift() ?? finalText('No scripted turn left')) : SIDE_REPLY;
    const id = `msg_fake_${++messageCount}`;
    const model = String(body.model ?? 'fake');
    if (body.stream === true) streamTurn(response, id, model, scripted);
    else {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ...messageShell(id, model, scripted), content: scripted.content }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    reply: (...turns) => void queue.push(...turns),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export const finalText = (text: string, usage = { input: 10, output: 5 }): FakeTurn => ({
  content: [{ type: 'text', text }],
  stopReason: 'end_turn',
  usage,
});

function messageShell(id: string, model: string, turn: FakeTurn) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    stop_reason: turn.stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: turn.usage.input,
      output_tokens: turn.usage.output,
      cache_read_input_tokens: turn.usage.cacheRead ?? 0,
      cache_creation_input_tokens: turn.usage.cacheWrite ?? 0,
    },
  };
}

/** The SSE event sequence the Messages API streams: start, blocks with deltas, delta, stop. */
function streamTurn(response: ServerResponse, id: string, model: string, turn: FakeTurn) {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (event: string, data: Record<string, unknown>) =>
    response.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  const shell = messageShell(id, model, turn);
  send('message_start', {
    message: { ...shell, content: [], stop_reason: null, usage: { ...shell.usage, output_tokens: 1 } },
  });
  turn.content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      send('content_block_start', { index, content_block: { ...block, input: {} } });
      const partial_json = JSON.stringify(block.input);
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', {
    delta: { stop_reason: turn.stopReason, stop_sequence: null },
    usage: { output_tokens: turn.usage.output },
  });
  send('message_stop', {});
  response.end();
}
