/**
 * Language model port: one call = messages and tool definitions in; text, tool calls, stop
 * reason and token usage out. Adapters: Bedrock Converse, OpenAI-compatible chat completions,
 * and the deterministic offline model.
 */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; toolUseId: string; content: string; isError?: boolean };

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

export interface CompletionRequest {
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
