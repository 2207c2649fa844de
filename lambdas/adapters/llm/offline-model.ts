import { createHash } from 'node:crypto';
import { CLASSIFY_TOOL } from '../../domain/deploys/env-analysis.ts';
import type {
  CompletionRequest,
  CompletionResponse,
  ContentBlock,
  LanguageModel,
  TokenUsage,
} from '../../ports/language-model.ts';
import { type Decision, decideAgentStep, groupsForMessage } from './offline/agent-step.ts';
import { classifyEnv } from './offline/env-classifier.ts';
import { clamp } from './offline/replies.ts';
import { writeSpec } from './offline/spec-writer.ts';
import { summarise } from './offline/summary.ts';
import { hasTool } from './offline/transcript-data.ts';

const INTENT_TOOL = 'select_capabilities';
const ID_PREFIX = 'toolu_offline_';

/**
 * A language model without a model, for local runs and tests with no provider account: a small
 * command grammar (offline/commands.ts) for what the person types, and typed data for everything
 * else (tool results, system notes, the summariser's document). It knows which job it is doing
 * from the request's `purpose`. Same request, same response: no network, no randomness, no clock.
 * Loaded only when configured (runtime/build-models.ts), so Lambda bundles do not carry it.
 */
export class OfflineModel implements LanguageModel {
  readonly provider = 'offline';
  readonly modelId = 'offline-deterministic';

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    request.signal?.throwIfAborted();
    const content = this.answer(request);
    return {
      content,
      stopReason: content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
      usage: estimateUsage(request, content),
      modelId: this.modelId,
    };
  }

  private answer(request: CompletionRequest): ContentBlock[] {
    if (request.purpose === 'intent_selection' || request.toolChoice?.tool === INTENT_TOOL) {
      const groups = groupsForMessage(request.messages, intentGroupEnum(request));
      return [toolUse(request, 0, INTENT_TOOL, { groups })];
    }
    if (request.purpose === 'summary') return [{ type: 'text', text: summarise(request.messages) }];
    if (request.purpose === 'spec') return [{ type: 'text', text: writeSpec(request.messages) }];
    if (request.purpose === 'env_classification')
      return [toolUse(request, 0, CLASSIFY_TOOL.name, classifyEnv(request.messages))];
    return render(decideAgentStep(request), request);
  }
}

/** The group names the intent parser offered (the enum of select_capabilities' `groups` items). */
function intentGroupEnum(request: CompletionRequest): string[] {
  const schema = request.tools?.find((t) => t.name === INTENT_TOOL)?.inputSchema as
    | { properties?: { groups?: { items?: { enum?: unknown[] } } } }
    | undefined;
  const names = schema?.properties?.groups?.items?.enum ?? [];
  return names.filter((n): n is string => typeof n === 'string');
}

function render(decision: Decision, request: CompletionRequest): ContentBlock[] {
  if (decision.kind === 'calls') {
    // Without a finish tool, answering with nothing ends the turn just the same.
    const calls = decision.calls.filter((c) => c.name !== 'finish' || hasTool(request.tools, 'finish'));
    return calls.map((c, index) => toolUse(request, index, c.name, c.input));
  }
  const text = clamp(decision.text);
  return hasTool(request.tools, 'respond_to_user')
    ? [toolUse(request, 0, 'respond_to_user', { text })]
    : [{ type: 'text', text }];
}

/**
 * Ids derived from the transcript and the call's position: deterministic, and unique within a
 * conversation because every step sees a longer transcript. The loop uses them as idempotency
 * keys, so a replayed step names the same project instead of creating a twin.
 */
function toolUse(
  request: CompletionRequest,
  index: number,
  name: string,
  input: Record<string, unknown>,
): ContentBlock {
  const digest = createHash('sha256')
    .update(`${JSON.stringify(request.messages)}#${index}`)
    .digest('hex');
  return { type: 'tool_use', id: `${ID_PREFIX}${digest.slice(0, 16)}`, name, input };
}

// Roughly four characters a token, as for English text with real tokenisers: enough for the
// usage ledger and budgets to behave as they would with a real model.
function estimateUsage(request: CompletionRequest, content: ContentBlock[]): TokenUsage {
  const input = request.system.length + JSON.stringify(request.messages).length;
  return {
    inputTokens: Math.ceil(input / 4),
    outputTokens: Math.ceil(JSON.stringify(content).length / 4),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
}
