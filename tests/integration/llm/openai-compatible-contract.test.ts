import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  OpenAiCompatibleModel,
  type OpenAiCompatibleModelOptions,
} from '../../../lambdas/adapters/llm/openai-compatible-model.ts';
import { type CompletionRequest, LanguageModelError } from '../../../lambdas/ports/language-model.ts';
import { AttemptTimeoutError } from '../../../lambdas/shared/retry.ts';
import {
  completionOk,
  type FakeOpenAiServer,
  openAiError,
  startFakeOpenAiServer,
} from '../../support/fake-openai-server.ts';

// Contract tests: the adapter's real fetch talks to a local fake of the chat completions
// endpoint, so what is asserted is the JSON and headers on the wire and how real HTTP errors,
// Retry-After and slow answers come back through the adapter.
const MODEL = 'gpt-4o-mini';
const KEY = 'sk-test-0123456789abcdef';

let server: FakeOpenAiServer;
let sleeps: number[];

const model = (overrides: Partial<OpenAiCompatibleModelOptions> = {}) =>
  new OpenAiCompatibleModel({
    modelId: MODEL,
    baseUrl: server.baseUrl,
    apiKey: async () => KEY,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...overrides,
  });

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const ask = (overrides: Partial<CompletionRequest> = {}): CompletionRequest => ({
  system: 'You are terse.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] }],
  ...overrides,
});
const toolCall = (id: string | undefined, name: string, args: unknown) => ({
  ...(id === undefined ? {} : { id }),
  type: 'function',
  function: { name, arguments: args },
});
const answer = (
  message: { content?: string | null; tool_calls?: unknown[] },
  finishReason = 'stop',
  usage: Record<string, unknown> = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
) =>
  completionOk({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: MODEL,
    choices: [
      { index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finishReason },
    ],
    usage,
  });
const failure = async (promise: Promise<unknown>): Promise<LanguageModelError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LanguageModelError);
  return error as LanguageModelError;
};

beforeAll(async () => {
  server = await startFakeOpenAiServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
  sleeps = [];
});

describe('OpenAiCompatibleModel request on the wire', () => {
  it('posts the whole request to {baseUrl}/chat/completions with the bearer key', async () => {
    // Prepare
    server.reply(answer({ content: 'ok' }));

    // Act
    await model().complete(
      ask({ tools: [weatherTool], toolChoice: { tool: 'get_weather' }, maxTokens: 256, temperature: 0.2 }),
    );

    // Assess
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Oslo?' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: weatherTool.inputSchema,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_tokens: 256,
      temperature: 0.2,
    });
  });

  it('sends no Authorization header without a key (Ollama) and leaves out unset fields', async () => {
    // Prepare
    server.reply(answer({ content: 'ok' }));

    // Act
    await model({ apiKey: async () => undefined, baseUrl: `${server.baseUrl}/` }).complete(
      ask({ system: '' }),
    );

    // Assess
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers).not.toHaveProperty('authorization');
    expect(request?.body).toEqual({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    });
  });

  it('names the output limit max_completion_tokens when told to', async () => {
    // Prepare
    server.reply(answer({ content: 'ok' }));

    // Act
    await model({ maxTokensField: 'max_completion_tokens' }).complete(ask({ maxTokens: 64 }));

    // Assess
    expect(server.requests[0]?.body).toMatchObject({ max_completion_tokens: 64 });
    expect(server.requests[0]?.body).not.toHaveProperty('max_tokens');
  });

  it('maps tool calls and tool results, results first and one message each', async () => {
    // Prepare
    server.reply(answer({ content: 'ok' }));

    // Act
    await model().complete(
      ask({
        system: '',
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo and Bergen?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Checking both.' },
              { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } },
              { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Bergen' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', toolUseId: 'call_1', content: '{"tempC":4}', data: { kind: 'weather' } },
              { type: 'tool_result', toolUseId: 'call_2', content: 'station offline', isError: true },
              { type: 'text', text: 'Also, be brief.' },
              { type: 'system_note', text: 'Secret K stored.', data: { kind: 'secret_stored' } },
            ],
          },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'call_3', name: 'get_weather', input: {} }],
          },
        ],
      }),
    );

    // Assess
    expect(server.requests[0]?.body.messages).toEqual([
      { role: 'user', content: 'Weather in Oslo and Bergen?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          {
            id: 'call_2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Bergen"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"tempC":4}' },
      { role: 'tool', tool_call_id: 'call_2', content: 'Error: station offline' },
      { role: 'user', content: 'Also, be brief.\n\n<system-note>Secret K stored.</system-note>' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
    ]);
  });

  it('rejects a toolChoice that names no tool, without a request or a key read', async () => {
    // Prepare
    let keyReads = 0;
    const apiKey = async () => {
      keyReads++;
      return KEY;
    };

    // Act
    const error = await failure(
      model({ apiKey }).complete(ask({ tools: [weatherTool], toolChoice: { tool: 'nope' } })),
    );

    // Assess
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('"nope"');
    expect(server.requests).toHaveLength(0);
    expect(keyReads).toBe(0);
  });
});

describe('OpenAiCompatibleModel response mapping', () => {
  it('maps text, tool calls, the stop reason and usage with cached tokens', async () => {
    // Prepare
    server.reply(
      answer(
        {
          content: 'Let me check.',
          tool_calls: [toolCall('call_9', 'get_weather', '{"city":"Oslo","days":[1,2]}')],
        },
        'tool_calls',
        {
          prompt_tokens: 2_100,
          completion_tokens: 30,
          total_tokens: 2_130,
          prompt_tokens_details: { cached_tokens: 2_048, audio_tokens: 0 },
        },
      ),
    );

    // Act
    const response = await model().complete(ask({ tools: [weatherTool] }));

    // Assess: inputTokens leaves out the cached part, as Bedrock reports it
    expect(response).toEqual({
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'call_9', name: 'get_weather', input: { city: 'Oslo', days: [1, 2] } },
      ],
      stopReason: 'tool_use',
      usage: { inputTokens: 52, outputTokens: 30, cacheReadTokens: 2_048, cacheWriteTokens: 0 },
      modelId: MODEL,
    });
  });

  it('counts missing usage as 0', async () => {
    // Prepare
    server.reply(answer({ content: 'Hi' }, 'stop', {}));

    // Act
    const response = await model().complete(ask());

    // Assess
    expect(response.usage).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  });

  it.each([
    { wire: 'stop', calls: false, expected: 'end_turn' },
    { wire: 'stop', calls: true, expected: 'tool_use' },
    { wire: 'tool_calls', calls: true, expected: 'tool_use' },
    { wire: 'length', calls: false, expected: 'max_tokens' },
    { wire: 'content_filter', calls: false, expected: 'content_filtered' },
    { wire: 'something_new', calls: false, expected: 'other' },
  ])('maps finish_reason $wire (tool calls: $calls) to $expected', async ({ wire, calls, expected }) => {
    // Prepare
    const toolCalls = calls ? [toolCall('c', 'get_weather', '{}')] : undefined;
    server.reply(answer({ content: calls ? null : '…', tool_calls: toolCalls }, wire));

    // Act
    const response = await model().complete(ask());

    // Assess
    expect(response.stopReason).toBe(expected);
  });

  it.each([
    { label: 'empty string arguments', args: '', input: {} },
    {
      label: 'arguments already an object (some Ollama builds)',
      args: { city: 'Oslo' },
      input: { city: 'Oslo' },
    },
  ])('accepts $label', async ({ args, input }) => {
    // Prepare
    server.reply(answer({ tool_calls: [toolCall('c1', 'get_weather', args)] }, 'tool_calls'));

    // Act
    const response = await model().complete(ask());

    // Assess
    expect(response.content).toEqual([{ type: 'tool_use', id: 'c1', name: 'get_weather', input }]);
  });

  it('gives a tool call without an id one of its own', async () => {
    // Prepare
    server.reply(answer({ tool_calls: [toolCall(undefined, 'get_weather', '{}')] }, 'tool_calls'));

    // Act
    const response = await model().complete(ask());

    // Assess
    expect(response.content[0]).toMatchObject({ type: 'tool_use', id: expect.stringMatching(/^call_.{8,}/) });
  });

  it.each([
    ['not JSON', '{"city": "Oslo"'],
    ['a JSON array', '["Oslo"]'],
    ['a JSON string', '"Oslo"'],
  ])('fails, not retried, on arguments that are %s, naming the tool', async (_label, args) => {
    // Prepare
    server.reply(answer({ tool_calls: [toolCall('c1', 'get_weather', args)] }, 'tool_calls'));

    // Act
    const error = await failure(model().complete(ask()));

    // Assess
    expect(error).toMatchObject({ provider: 'openai-compatible', retryable: false });
    expect(error.message).toBe('Model returned malformed arguments for tool "get_weather"');
    expect(server.requests).toHaveLength(1);
  });

  it('fails, not retried, on a body without choices or not JSON', async () => {
    // Prepare
    server.reply(completionOk({ object: 'chat.completion', choices: [] }), {
      status: 200,
      body: '<html>oops',
    });

    // Act
    const empty = await failure(model().complete(ask()));
    const html = await failure(model().complete(ask()));

    // Assess
    expect(empty).toMatchObject({ retryable: false, status: 200 });
    expect(empty.message).toContain('unexpected response shape');
    expect(html).toMatchObject({ retryable: false, status: 200 });
    expect(html.message).toContain('not JSON');
    expect(server.requests).toHaveLength(2);
  });

  it('round-trips a tool call: arguments back as the same JSON, the result as a tool message', async () => {
    // Prepare
    const llm = model();
    server.reply(
      answer({ tool_calls: [toolCall('call_7', 'get_weather', '{"city":"Oslo"}')] }, 'tool_calls'),
      answer({ content: 'It is 4°C in Oslo.' }),
    );
    const first = await llm.complete(ask({ tools: [weatherTool] }));
    const call = first.content[0];
    if (call?.type !== 'tool_use') throw new Error('expected a tool call');

    // Act
    const second = await llm.complete(
      ask({
        tools: [weatherTool],
        messages: [
          ...ask().messages,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', toolUseId: call.id, content: '{"tempC":4}' }] },
        ],
      }),
    );

    // Assess
    expect(server.requests[1]?.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Oslo?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_7', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_7', content: '{"tempC":4}' },
    ]);
    expect(second.content).toEqual([{ type: 'text', text: 'It is 4°C in Oslo.' }]);
    expect(second.stopReason).toBe('end_turn');
  });
});

describe('OpenAiCompatibleModel errors and retries', () => {
  it('retries 429 and 503 with jittered backoff, counting the 429 as throttled, then succeeds', async () => {
    // Prepare
    server.reply(
      openAiError(429, 'Rate limit reached'),
      openAiError(503, 'Overloaded'),
      answer({ content: 'finally' }),
    );

    // Act
    let throttled = 0;
    const response = await model({ onThrottled: () => throttled++ }).complete(ask());

    // Assess: 0.5 * 500, 0.5 * 1000
    expect(response.content).toEqual([{ type: 'text', text: 'finally' }]);
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
    // ... and the throttled attempt (the 429), not the 503, was counted
    expect(throttled).toBe(1);
  });

  it.each<{ label: string; headers: Record<string, string>; expected: number }>([
    { label: 'Retry-After in seconds', headers: { 'retry-after': '2' }, expected: 2_000 },
    {
      label: 'Retry-After as an HTTP date',
      headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' },
      expected: 7_000,
    },
    {
      label: 'retry-after-ms before Retry-After',
      headers: { 'retry-after-ms': '1234', 'retry-after': '2' },
      expected: 1_234,
    },
    { label: 'a Retry-After over the cap', headers: { 'retry-after': '3600' }, expected: 20_000 },
  ])('honours $label', async ({ headers, expected }) => {
    // Prepare
    server.reply(openAiError(429, 'Rate limit reached', headers), answer({ content: 'ok' }));

    // Act
    await model({ now: () => Date.parse('2025-01-01T00:00:00Z') }).complete(ask());

    // Assess
    expect(sleeps).toEqual([expected]);
    expect(server.requests).toHaveLength(2);
  });

  it.each([500, 502, 504])('retries HTTP %i', async (status) => {
    // Prepare
    server.reply(openAiError(status, 'upstream trouble'), answer({ content: 'ok' }));

    // Act
    await model().complete(ask());

    // Assess
    expect(server.requests).toHaveLength(2);
  });

  it.each([400, 401, 403, 404])('does not retry HTTP %i', async (status) => {
    // Prepare
    server.reply(openAiError(status, 'The model `gpt-9` does not exist'));

    // Act
    const error = await failure(model().complete(ask()));

    // Assess
    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ provider: 'openai-compatible', retryable: false, status });
    expect(error.message).toBe(
      `OpenAI-compatible chat completion failed: HTTP ${status}: The model \`gpt-9\` does not exist`,
    );
  });

  it('never puts the API key in the error, even when the server echoes it', async () => {
    // Prepare
    server.reply(openAiError(401, `Incorrect API key provided: ${KEY}.`));

    // Act
    const error = await failure(model().complete(ask()));

    // Assess
    expect(error.message).toBe(
      'OpenAI-compatible chat completion failed: HTTP 401: Incorrect API key provided: [redacted].',
    );
    expect(JSON.stringify({ ...error, message: error.message, cause: String(error.cause) })).not.toContain(
      KEY,
    );
  });

  it('gives up after maxAttempts with a retryable error carrying the status', async () => {
    // Prepare
    server.reply(...Array.from({ length: 3 }, () => openAiError(503, 'Overloaded')));

    // Act
    const error = await failure(model({ maxAttempts: 3 }).complete(ask()));

    // Assess
    expect(server.requests).toHaveLength(3);
    expect(error).toMatchObject({ retryable: true, status: 503 });
    expect(error.message).toBe(
      'OpenAI-compatible chat completion failed after 3 attempts: HTTP 503: Overloaded',
    );
  });

  it('times out each attempt, retries, then fails retryable', async () => {
    // Prepare
    server.reply(
      { ...answer({ content: 'late 1' }), delayMs: 2_000 },
      { ...answer({ content: 'late 2' }), delayMs: 2_000 },
    );
    const started = Date.now();

    // Act
    const error = await failure(model({ timeoutMs: 150, maxAttempts: 2 }).complete(ask()));

    // Assess
    expect(server.requests).toHaveLength(2);
    expect(error).toMatchObject({ retryable: true, status: undefined });
    expect(error.cause).toBeInstanceOf(AttemptTimeoutError);
    expect(error.message).toContain('timed out after 150 ms');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('retries a refused connection, then fails retryable without a status', async () => {
    // Prepare
    const closedPort = await freePort();

    // Act
    const error = await failure(
      model({ baseUrl: `http://127.0.0.1:${closedPort}/v1`, maxAttempts: 2 }).complete(ask()),
    );

    // Assess
    expect(error).toMatchObject({ retryable: true, status: undefined });
    expect(error.message).toMatch(/after 2 attempts: network error: fetch failed \(.*ECONNREFUSED/);
    expect(sleeps).toHaveLength(1);
  });

  it("rethrows the caller's abort reason and sends nothing once aborted", async () => {
    // Prepare
    const reason = new Error('user cancelled');

    // Act
    const result = model().complete(ask({ signal: AbortSignal.abort(reason) }));

    // Assess
    await expect(result).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });

  it('stops a slow attempt when the caller aborts, without retrying', async () => {
    // Prepare
    server.reply({ ...answer({ content: 'late' }), delayMs: 2_000 });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    setTimeout(() => controller.abort(reason), 100);

    // Act
    const result = model().complete(ask({ signal: controller.signal }));

    // Assess
    await expect(result).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

/** A port that nothing listens on. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
