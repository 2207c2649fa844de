import {
  type ContentBlock as BedrockContentBlock,
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type Message,
  type Tool,
  type ToolConfiguration,
} from '@aws-sdk/client-bedrock-runtime';
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
import { callModel } from '../llm/model-call.ts';
import { defuseMarkers, systemNoteText } from '../llm/system-note.ts';

export interface BedrockConverseModelOptions {
  /** A model id or inference profile id/ARN, e.g. `us.anthropic.claude-sonnet-4-20250514-v1:0`. */
  modelId: string;
  client?: BedrockRuntimeClient;
  /** Per attempt. Default 60 s. */
  timeoutMs?: number;
  /** Attempts in all. Default 4. */
  maxAttempts?: number;
  /**
   * Adds cache points after the system prompt (and after the tools, except on Nova, which caches
   * only system and messages). Default: on for ids containing `anthropic.claude` or `amazon.nova`.
   * Turn it off for a model without prompt caching: Bedrock may reject a cache point there.
   */
  promptCaching?: boolean;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told of every throttled attempt (ThrottlingException or HTTP 429). */
  onThrottled?: () => void;
}

const PROVIDER = 'bedrock';
const RETRYABLE = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'ModelNotReadyException',
  'InternalServerException',
  'ModelTimeoutException',
]);
const NOT_RETRYABLE = new Set([
  'ValidationException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ServiceQuotaExceededException',
  'ModelErrorException',
]);
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
// Connection failures, from the socket or the default HTTP/2 handler (which reports a refused
// connection as ERR_HTTP2_STREAM_CANCEL with the ECONNREFUSED error as its cause).
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
]);
const CACHE_POINT = { cachePoint: { type: 'default' as const } };

// One client per process: the SDK must not retry (we do, with our timeout per attempt).
let sharedClient: BedrockRuntimeClient | undefined;
const defaultClient = () => {
  sharedClient ??= new BedrockRuntimeClient({ maxAttempts: 1 });
  return sharedClient;
};

/** Language model port on the Bedrock Converse API. */
export class BedrockConverseModel implements LanguageModel {
  readonly provider = PROVIDER;
  readonly modelId: string;
  private readonly client: BedrockRuntimeClient;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly cacheSystem: boolean;
  private readonly cacheTools: boolean;
  private readonly sleep: ((ms: number) => Promise<void>) | undefined;
  private readonly random: (() => number) | undefined;
  private readonly onThrottled: (() => void) | undefined;

  constructor(options: BedrockConverseModelOptions) {
    this.modelId = options.modelId;
    this.client = options.client ?? defaultClient();
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    const nova = options.modelId.includes('amazon.nova');
    this.cacheSystem = options.promptCaching ?? (nova || options.modelId.includes('anthropic.claude'));
    this.cacheTools = this.cacheSystem && !nova;
    this.sleep = options.sleep;
    this.random = options.random;
    this.onThrottled = options.onThrottled;
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    const input = this.toInput(request);
    const output = await callModel(
      request.signal,
      {
        timeoutMs: this.timeoutMs,
        maxAttempts: this.maxAttempts,
        isRetryable,
        retryAfterMs,
        sleep: this.sleep,
        random: this.random,
        isThrottled,
        onThrottled: this.onThrottled,
      },
      // A fresh command per attempt: each send adds the command's middleware to its stack again.
      (abortSignal) => this.client.send(new ConverseCommand(input), { abortSignal }),
      toModelError,
    );
    return this.toResponse(output);
  }

  private toInput(request: CompletionRequest): ConverseCommandInput {
    const inferenceConfig =
      request.maxTokens === undefined && request.temperature === undefined
        ? undefined
        : { maxTokens: request.maxTokens, temperature: request.temperature };
    return {
      modelId: this.modelId,
      system: request.system
        ? [{ text: request.system }, ...(this.cacheSystem ? [CACHE_POINT] : [])]
        : undefined,
      messages: request.messages.map(toBedrockMessage),
      toolConfig: this.toToolConfig(request),
      inferenceConfig,
    };
  }

  private toToolConfig(request: CompletionRequest): ToolConfiguration | undefined {
    const tools = request.tools ?? [];
    const forced = request.toolChoice?.tool;
    if (forced !== undefined && !tools.some((tool) => tool.name === forced)) {
      throw new LanguageModelError(
        `toolChoice names "${forced}", which is not among the tools`,
        PROVIDER,
        false,
      );
    }
    if (tools.length === 0) return undefined;
    const specs: Tool[] = tools.map((tool) => ({
      toolSpec: {
        name: tool.name,
        description: tool.description,
        // The SDK's document type; any JSON value is accepted.
        inputSchema: { json: tool.inputSchema as never },
      },
    }));
    return {
      tools: this.cacheTools ? [...specs, CACHE_POINT] : specs,
      toolChoice: forced === undefined ? undefined : { tool: { name: forced } },
    };
  }

  private toResponse(output: ConverseCommandOutput): CompletionResponse {
    const usage = output.usage;
    return {
      content: (output.output?.message?.content ?? []).flatMap(fromBedrockBlock),
      stopReason: toStopReason(output.stopReason),
      usage: {
        inputTokens: usage?.inputTokens ?? 0,
        outputTokens: usage?.outputTokens ?? 0,
        cacheReadTokens: usage?.cacheReadInputTokens ?? 0,
        cacheWriteTokens: usage?.cacheWriteInputTokens ?? 0,
      },
      modelId: this.modelId,
    };
  }
}

function toBedrockMessage(message: ChatMessage): Message {
  return { role: message.role, content: message.content.map(toBedrockBlock) };
}

function toBedrockBlock(block: ContentBlock): BedrockContentBlock {
  switch (block.type) {
    case 'text':
      return { text: defuseMarkers(block.text) };
    case 'system_note':
      return { text: systemNoteText(block.text) };
    case 'tool_use':
      return { toolUse: { toolUseId: block.id, name: block.name, input: block.input as never } };
    case 'tool_result':
      return {
        toolResult: {
          toolUseId: block.toolUseId,
          content: [{ text: block.content }],
          status: block.isError ? 'error' : 'success',
        },
      };
  }
}

/** Text and tool calls; reasoning and other block kinds are left out. */
function fromBedrockBlock(block: BedrockContentBlock): ContentBlock[] {
  if (block.text !== undefined) return [{ type: 'text', text: block.text }];
  if (block.toolUse !== undefined) {
    const { toolUseId, name, input } = block.toolUse;
    return [
      {
        type: 'tool_use',
        id: toolUseId ?? '',
        name: name ?? '',
        input: isRecord(input) ? input : {},
      },
    ];
  }
  return [];
}

function toStopReason(reason: string | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
      return reason;
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filtered';
    default:
      return 'other';
  }
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

const shape = (error: unknown): SdkErrorShape => (typeof error === 'object' && error !== null ? error : {});

function isRetryable(error: unknown): boolean {
  if (error instanceof AttemptTimeoutError) return true;
  const { name = '', $metadata } = shape(error);
  if (RETRYABLE.has(name)) return true;
  if (NOT_RETRYABLE.has(name)) return false;
  const status = $metadata?.httpStatusCode;
  if (status !== undefined) return RETRYABLE_STATUS.has(status);
  return isNetworkError(error);
}

function isThrottled(error: unknown): boolean {
  const { name, $metadata } = shape(error);
  return name === 'ThrottlingException' || $metadata?.httpStatusCode === 429;
}

/** No HTTP answer at all: the connection failed or the socket timed out (causes included). */
function isNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 4) return false;
  const { name, code, cause } = shape(error);
  if (name === 'TimeoutError' || (code !== undefined && NETWORK_CODES.has(code))) return true;
  return cause !== undefined && isNetworkError(cause, depth + 1);
}

function retryAfterMs(error: unknown): number | undefined {
  const headers = shape(error).$response?.headers ?? {};
  const key = Object.keys(headers).find((name) => name.toLowerCase() === 'retry-after');
  return key === undefined ? undefined : parseRetryAfter(headers[key]);
}

function toModelError(error: unknown, attempts: number): LanguageModelError {
  if (error instanceof LanguageModelError) return error;
  const retryable = isRetryable(error);
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  const reason =
    error instanceof Error ? `${error.name}: ${error.message.split('\n')[0] ?? ''}` : String(error);
  return new LanguageModelError(
    `Bedrock Converse failed${after}: ${reason}`,
    PROVIDER,
    retryable,
    shape(error).$metadata?.httpStatusCode,
    { cause: error },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
