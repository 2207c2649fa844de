import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  type ChatMessage,
  type CompletionRequest,
  type CompletionResponse,
  type ContentBlock,
  type LanguageModel,
  LanguageModelError,
  type StopReason,
} from '../../ports/language-model.ts';
import { AttemptTimeoutError, parseRetryAfter } from '../../shared/retry.ts';
import { callModel } from './model-call.ts';
import { defuseMarkers, systemNoteText } from './system-note.ts';

export interface OpenAiCompatibleModelOptions {
  modelId: string;
  /** Up to and including the version, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseUrl: string;
  /** Read per call from the secrets port (the caller caches it); undefined sends no Authorization (Ollama). */
  apiKey: () => Promise<string | undefined>;
  /** Per attempt. Default 60 s. */
  timeoutMs?: number;
  /** Attempts in all. Default 4. */
  maxAttempts?: number;
  /**
   * The name of the output limit in the body. Default `max_tokens` (Ollama, vLLM, older OpenAI
   * models); OpenAI's reasoning models accept only `max_completion_tokens`.
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
  /** Clock for Retry-After given as an HTTP date. */
  now?: () => number;
  /** Told of every throttled attempt (HTTP 429). */
  onThrottled?: () => void;
}

const PROVIDER = 'openai-compatible';
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_DETAIL_CHARS = 300;

/** The parts of a chat completion we read; anything else in the body is ignored. */
const ChatCompletion = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().nullish(),
                function: z.object({ name: z.string(), arguments: z.unknown() }),
              }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().nullish(),
      completion_tokens: z.number().nullish(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
    })
    .nullish(),
});
type ChatCompletion = z.infer<typeof ChatCompletion>;
type ToolCall = NonNullable<ChatCompletion['choices'][number]['message']['tool_calls']>[number];

/** Why an attempt failed, before it becomes the LanguageModelError the caller sees. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AttemptError';
  }
}

/**
 * Language model port on the OpenAI chat completions API, as served by OpenAI, Ollama and vLLM.
 * Neither the API key nor the prompt appears in an error message.
 */
export class OpenAiCompatibleModel implements LanguageModel {
  readonly provider = PROVIDER;
  readonly modelId: string;
  private readonly url: string;
  private readonly apiKey: () => Promise<string | undefined>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxTokensField: string;
  private readonly sleep: ((ms: number) => Promise<void>) | undefined;
  private readonly random: (() => number) | undefined;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly onThrottled: (() => void) | undefined;

  constructor(options: OpenAiCompatibleModelOptions) {
    this.modelId = options.modelId;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.maxTokensField = options.maxTokensField ?? 'max_tokens';
    this.sleep = options.sleep;
    this.random = options.random;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.onThrottled = options.onThrottled;
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    const body = JSON.stringify(this.toBody(request));
    // A failing secrets read propagates as it is: it is not the provider's failure.
    const key = await this.apiKey();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (key) headers.authorization = `Bearer ${key}`;
    const completion = await callModel(
      request.signal,
      {
        timeoutMs: this.timeoutMs,
        maxAttempts: this.maxAttempts,
        isRetryable: (error) =>
          error instanceof AttemptTimeoutError || (error instanceof AttemptError && error.retryable),
        retryAfterMs: (error) => (error instanceof AttemptError ? error.retryAfterMs : undefined),
        sleep: this.sleep,
        random: this.random,
        isThrottled: (error) => error instanceof AttemptError && error.status === 429,
        onThrottled: this.onThrottled,
      },
      (signal) => this.attempt(headers, body, signal, key),
      toModelError,
    );
    return this.toResponse(completion);
  }

  private async attempt(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
    key: string | undefined,
  ): Promise<ChatCompletion> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(this.url, { method: 'POST', headers, body, signal });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw error; // a timeout or the caller's abort, sorted out above
      throw new AttemptError(`network error: ${describeError(error)}`, true, undefined, undefined, {
        cause: error,
      });
    }
    if (!response.ok) {
      const retryAfterMs = retryAfter(response.headers, this.now());
      const detail = redact(errorDetail(text), key);
      throw new AttemptError(
        `HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
        RETRYABLE_STATUS.has(response.status),
        response.status,
        retryAfterMs,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new AttemptError('response body is not JSON', false, response.status, undefined, {
        cause: error,
      });
    }
    const parsed = ChatCompletion.safeParse(json);
    if (!parsed.success) {
      throw new AttemptError(
        `unexpected response shape: ${z.prettifyError(parsed.error).slice(0, MAX_DETAIL_CHARS)}`,
        false,
        response.status,
      );
    }
    return parsed.data;
  }

  private toBody(request: CompletionRequest): Record<string, unknown> {
    const tools = request.tools ?? [];
    const forced = request.toolChoice?.tool;
    if (forced !== undefined && !tools.some((tool) => tool.name === forced)) {
      throw new LanguageModelError(
        `toolChoice names "${forced}", which is not among the tools`,
        PROVIDER,
        false,
      );
    }
    return {
      model: this.modelId,
      messages: [
        ...(request.system ? [{ role: 'system', content: request.system }] : []),
        ...request.messages.flatMap(toWireMessages),
      ],
      tools:
        tools.length === 0
          ? undefined
          : tools.map((tool) => ({
              type: 'function',
              function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
            })),
      tool_choice: forced === undefined ? undefined : { type: 'function', function: { name: forced } },
      [this.maxTokensField]: request.maxTokens,
      temperature: request.temperature,
    };
  }

  private toResponse(completion: ChatCompletion): CompletionResponse {
    const choice = completion.choices[0]!;
    const calls = choice.message.tool_calls ?? [];
    const content: ContentBlock[] = [
      ...(choice.message.content ? [{ type: 'text' as const, text: choice.message.content }] : []),
      ...calls.map(toToolUse),
    ];
    const usage = completion.usage;
    const promptTokens = usage?.prompt_tokens ?? 0;
    const cachedTokens = usage?.prompt_tokens_details?.cached_tokens ?? 0;
    return {
      content,
      stopReason: toStopReason(choice.finish_reason, calls.length > 0),
      usage: {
        // prompt_tokens includes the cached ones; the port counts them apart, as Bedrock does.
        inputTokens: Math.max(promptTokens - cachedTokens, 0),
        outputTokens: usage?.completion_tokens ?? 0,
        cacheReadTokens: cachedTokens,
        cacheWriteTokens: 0,
      },
      modelId: this.modelId,
    };
  }
}

/**
 * One port message can become several wire messages: tool results go first, one `tool` message
 * each (they must follow the assistant's tool calls directly), then the user's text, if any.
 */
function toWireMessages(message: ChatMessage): Record<string, unknown>[] {
  const text = message.content
    .flatMap((block) => {
      if (block.type === 'text') return [defuseMarkers(block.text)];
      if (block.type === 'system_note') return [systemNoteText(block.text)];
      return [];
    })
    .join('\n\n');
  if (message.role === 'assistant') {
    const calls = message.content.flatMap((block) =>
      block.type === 'tool_use'
        ? [
            {
              id: block.id,
              type: 'function',
              function: { name: block.name, arguments: JSON.stringify(block.input) },
            },
          ]
        : [],
    );
    return [{ role: 'assistant', content: text || null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }];
  }
  const results = message.content.flatMap((block) =>
    block.type === 'tool_result'
      ? [
          {
            role: 'tool',
            tool_call_id: block.toolUseId,
            // The wire has no error flag: the model learns it from the text.
            content: block.isError ? `Error: ${block.content}` : block.content,
          },
        ]
      : [],
  );
  return [...results, ...(text ? [{ role: 'user', content: text }] : [])];
}

/**
 * Arguments arrive as a JSON string (an object from some servers). Malformed arguments fail the
 * call, not retried, naming the tool: running a tool on `{}` would hide the model's mistake.
 */
function toToolUse(call: ToolCall): ContentBlock {
  const name = call.function.name;
  let input: unknown = call.function.arguments;
  if (typeof input === 'string') {
    try {
      input = input.trim() === '' ? {} : JSON.parse(input);
    } catch {
      input = undefined;
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new LanguageModelError(`Model returned malformed arguments for tool "${name}"`, PROVIDER, false);
  }
  return {
    type: 'tool_use',
    id: call.id || `call_${randomUUID()}`,
    name,
    input: input as Record<string, unknown>,
  };
}

function toStopReason(reason: string | null | undefined, calledTools: boolean): StopReason {
  switch (reason) {
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'stop':
      // Some servers (older Ollama) say 'stop' even when the turn ends in tool calls.
      return calledTools ? 'tool_use' : 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'content_filtered';
    default:
      return 'other';
  }
}

/** OpenAI's own `retry-after-ms` first, then the standard `Retry-After` (seconds or a date). */
function retryAfter(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Number(ms);
  return parseRetryAfter(headers.get('retry-after'), now);
}

/** `error.message` of an OpenAI-style error body, else the start of the body. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof message === 'string') return message.slice(0, MAX_DETAIL_CHARS);
  } catch {
    // not JSON: fall through
  }
  return text.trim().slice(0, MAX_DETAIL_CHARS);
}

/** Servers sometimes echo the key they were sent; it must never reach a message or log. */
function redact(text: string, key: string | undefined): string {
  return key ? text.split(key).join('[redacted]') : text;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

function toModelError(error: unknown, attempts: number): LanguageModelError {
  if (error instanceof LanguageModelError) return error;
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  const what = `OpenAI-compatible chat completion failed${after}`;
  if (error instanceof AttemptError) {
    return new LanguageModelError(`${what}: ${error.message}`, PROVIDER, error.retryable, error.status, {
      cause: error.cause,
    });
  }
  if (error instanceof AttemptTimeoutError) {
    return new LanguageModelError(`${what}: ${error.message}`, PROVIDER, true, undefined, { cause: error });
  }
  return new LanguageModelError(`${what}: ${describeError(error)}`, PROVIDER, false, undefined, {
    cause: error,
  });
}
