import * as z from 'zod';
import type {
  ChatMessage,
  CompletionResponse,
  ContentBlock,
  LanguageModel,
} from '../../ports/language-model.ts';
import type { Principal } from '../access/access-policy.ts';
import type { CapabilityRegistry } from './capability-registry.ts';
import { intentParserPrompt } from './prompts.ts';

const selection = z.object({ groups: z.array(z.string()).max(10) });

export interface IntentResult {
  groups: string[];
  response: CompletionResponse;
}

/**
 * One cheap model call that picks the capability groups for a message (what the person typed and
 * any system notes with it), so the agent's prompt
 * carries only the tools it needs. An unusable answer falls back to every group the principal
 * may use: tenancy is enforced by the tools, not by this choice.
 */
export async function parseIntent(
  model: LanguageModel,
  registry: CapabilityRegistry,
  principal: Principal,
  message: ContentBlock[],
  signal?: AbortSignal,
): Promise<IntentResult> {
  const available = registry.available(principal);
  const messages: ChatMessage[] = [{ role: 'user', content: message }];
  const response = await model.complete({
    purpose: 'intent_selection',
    ...(signal ? { signal } : {}),
    system: intentParserPrompt(available),
    messages,
    tools: [
      {
        name: 'select_capabilities',
        description: 'Select the tool groups needed for the message.',
        inputSchema: {
          type: 'object',
          properties: {
            groups: { type: 'array', items: { type: 'string', enum: available.map((g) => g.name) } },
          },
          required: ['groups'],
        },
      },
    ],
    toolChoice: { tool: 'select_capabilities' },
    maxTokens: 200,
    temperature: 0,
  });
  const call = response.content.find((b) => b.type === 'tool_use' && b.name === 'select_capabilities');
  const parsed = call && call.type === 'tool_use' ? selection.safeParse(call.input) : undefined;
  const groups = parsed?.success
    ? registry.allowed(principal, parsed.data.groups)
    : available.map((g) => g.name);
  return { groups, response };
}
