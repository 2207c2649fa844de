import type {
  CompletionRequest,
  CompletionResponse,
  ContentBlock,
  LanguageModel,
  TokenUsage,
} from '../../lambdas/ports/language-model.ts';

/**
 * A LanguageModel that answers from a script: each call takes the next queued response (or asks
 * a function of the request for it) and records the request, so a test decides exactly what the
 * "model" says and can inspect what it was shown (messages, offered tools). Running out of script
 * fails the call loudly: a model call the test did not plan for is a finding, not a default.
 */
export type ScriptedStep = CompletionResponse | ((request: CompletionRequest) => CompletionResponse);

export const DEFAULT_USAGE: TokenUsage = {
  inputTokens: 10,
  outputTokens: 5,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

export class ScriptedModel implements LanguageModel {
  readonly provider = 'scripted';
  readonly requests: CompletionRequest[] = [];
  private readonly script: ScriptedStep[] = [];

  constructor(readonly modelId = 'scripted-model') {}

  /** Queues responses, answered in order. */
  queue(...steps: ScriptedStep[]): this {
    this.script.push(...steps);
    return this;
  }

  /** How many queued responses have not been asked for. */
  get remaining(): number {
    return this.script.length;
  }

  /** The tool names offered in each request, in order. */
  toolNames(index: number): string[] {
    return (this.requests[index]?.tools ?? []).map((t) => t.name);
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    // A snapshot: the caller may build on the same arrays after the call.
    this.requests.push(structuredClone({ ...request, signal: undefined }));
    const step = this.script.shift();
    if (!step) throw new Error(`${this.modelId}: no scripted response left for call ${this.requests.length}`);
    const response = typeof step === 'function' ? step(request) : step;
    return { ...response, modelId: response.modelId || this.modelId };
  }
}

let nextToolUseId = 0;

/** A tool_use block with a fresh id (unique across the test run, as a model's ids are). */
export function toolUse(name: string, input: Record<string, unknown> = {}, id?: string): ContentBlock {
  nextToolUseId += 1;
  return { type: 'tool_use', id: id ?? `toolu_${String(nextToolUseId).padStart(6, '0')}`, name, input };
}

/** A model answer made of these blocks. */
export function answer(content: ContentBlock[], usage: Partial<TokenUsage> = {}): CompletionResponse {
  return {
    content,
    stopReason: content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
    usage: { ...DEFAULT_USAGE, ...usage },
    modelId: '',
  };
}

/** An answer that calls one tool. */
export const callTool = (
  name: string,
  input: Record<string, unknown> = {},
  usage: Partial<TokenUsage> = {},
) => answer([toolUse(name, input)], usage);

/** An answer that is plain text (no tool call): the loop sends it and ends the turn. */
export const sayText = (text: string, usage: Partial<TokenUsage> = {}) =>
  answer([{ type: 'text', text }], usage);

/** The intent parser's answer: select_capabilities with these groups. */
export const selectGroups = (groups: string[], usage: Partial<TokenUsage> = {}) =>
  answer([toolUse('select_capabilities', { groups })], usage);
