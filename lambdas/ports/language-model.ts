/**
 * Language model port: one call = messages and tool definitions in; text, tool calls, stop
 * reason and token usage out. Adapters: Bedrock Converse, OpenAI-compatible chat completions,
 * and the deterministic offline model.
 */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | {
      type: 'tool_result';
      toolUseId: string;
      /** What the model reads: the result rendered as text. */
      content: string;
      isError?: boolean;
      /**
       * The same result as typed data (JSON), for code that reads results (the offline model, tests)
       * instead of parsing `content`. Adapters do not send it.
       */
      data?: unknown;
    }
  | {
      type: 'system_note';
      /**
       * Something the system (not the person) reports in the person's turn, e.g. a secret stored from
       * the chat. Only our own code creates this block, never text the person types; adapters send
       * `text` marked as a system note (see adapters/llm/system-note.ts).
       */
      text: string;
      data?: unknown;
    };

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the tool's input object. */
  inputSchema: Record<string, unknown>;
}

/**
 * Which job a request does, for models that cannot read instructions (the offline model); real
 * models read the system prompt and adapters ignore this.
 */
export type RequestPurpose = 'agent_step' | 'intent_selection' | 'summary' | 'spec' | 'env_classification';

export interface CompletionRequest {
  purpose?: RequestPurpose;
  /** Stable instructions; adapters that support it cache this prefix. */
  system: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** Forces the model to call this tool (used for structured output such as intent parsing). */
  toolChoice?: { tool: string };
  maxTokens?: number;
  temperature?: number;
  /** Aborts the call (the adapter also applies its own timeout). */
  signal?: AbortSignal;
}

export type StopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'content_filtered'
  | 'other';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface CompletionResponse {
  /** Text and tool_use blocks, in the order the model produced them. */
  content: ContentBlock[];
  stopReason: StopReason;
  usage: TokenUsage;
  /** The model id that answered (for the usage ledger's price lookup). */
  modelId: string;
}

export interface LanguageModel {
  /** e.g. 'bedrock', 'openai-compatible', 'offline'. */
  readonly provider: string;
  readonly modelId: string;
  complete(request: CompletionRequest): Promise<CompletionResponse>;
}

/** A provider error after retries, with whether retrying later could help. */
export class LanguageModelError extends Error {
  constructor(
    message: string,
    readonly provider: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LanguageModelError';
  }
}
