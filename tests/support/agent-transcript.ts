import type { AgentState } from '../../lambdas/domain/agent/agent-state.ts';
import { resultData, type ToolResultData } from '../../lambdas/domain/agent/tool-results.ts';
import { CheckpointStore } from '../../lambdas/domain/conversations/checkpoint-store.ts';
import { ConversationLeases } from '../../lambdas/domain/conversations/conversation-lease.ts';
import type { KeyValueStore } from '../../lambdas/ports/key-value-store.ts';
import type { ChatMessage } from '../../lambdas/ports/language-model.ts';

/**
 * What the agent did in a conversation, read from its checkpoint as data: the tool calls the
 * model made, the typed results they came to, and the system notes it was given. Tests assert
 * these (and stored state) instead of the wording of a reply.
 */
export async function transcriptOf(store: KeyValueStore, chatId: number): Promise<ChatMessage[]> {
  const { threadId } = await new ConversationLeases(store, 60).read(chatId);
  const checkpoint = await new CheckpointStore<AgentState>(store).latest(threadId);
  return checkpoint?.state.messages ?? [];
}

export function toolCallsIn(
  messages: ChatMessage[],
): Array<{ name: string; input: Record<string, unknown> }> {
  return messages.flatMap((m) =>
    m.content.flatMap((b) => (b.type === 'tool_use' ? [{ name: b.name, input: b.input }] : [])),
  );
}

/** Tool calls other than talking and finishing: the ones that act. */
export function actionsIn(messages: ChatMessage[]): Array<{ name: string; input: Record<string, unknown> }> {
  const talk = new Set(['respond_to_user', 'finish', 'request_capabilities']);
  return toolCallsIn(messages).filter((c) => !talk.has(c.name));
}

export function resultsIn(messages: ChatMessage[]): ToolResultData[] {
  return messages.flatMap((m) =>
    m.content.flatMap((b) => {
      const data = b.type === 'tool_result' ? resultData(b) : undefined;
      return data ? [data] : [];
    }),
  );
}

export function systemNotesIn(messages: ChatMessage[]): unknown[] {
  return messages.flatMap((m) => m.content.flatMap((b) => (b.type === 'system_note' ? [b.data] : [])));
}
