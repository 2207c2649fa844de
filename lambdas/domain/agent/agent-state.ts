import type { ChatMessage, ContentBlock } from '../../ports/language-model.ts';

/** One request being worked on: the message (or button press) that started it, and its budget. */
export interface TurnState {
  requestId: string;
  iterations: number;
  tokens: number;
  /** Capability groups chosen by the intent parser (and added by request_capabilities). */
  groups?: string[];
  /** Answers to confirmations, by tool-use id. */
  decisions: Record<string, boolean>;
  /** Nonces of the confirmations answered in this turn (a redelivered press resumes the turn). */
  answered?: string[];
}

/** What a conversation's checkpoint holds. Secrets never appear here, only references. */
export interface AgentState {
  messages: ChatMessage[];
  /** Summary of older messages that were folded away to keep the prompt bounded. */
  summary?: string;
  turn?: TurnState;
  /** The project the conversation is about lately; model usage is billed to it. */
  focusProjectId?: string;
  /** Recently completed request ids, so a redelivered message is not handled twice. */
  completedRequests: string[];
}

export const emptyAgentState = (): AgentState => ({ messages: [], completedRequests: [] });

export function pendingToolUses(state: AgentState): Array<Extract<ContentBlock, { type: 'tool_use' }>> {
  const last = state.messages.at(-1);
  if (last?.role !== 'assistant') return [];
  return last.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
}

export function rememberCompleted(state: AgentState, requestId: string): string[] {
  return [...state.completedRequests.filter((id) => id !== requestId), requestId].slice(-50);
}
