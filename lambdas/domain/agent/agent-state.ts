import type { ChatMessage, ContentBlock } from '../../ports/language-model.ts';
import type { ToolResultData } from './tool-results.ts';
import { appendMessage, toolResult } from './transcript.ts';

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
  /** The person chose to stop at a budget: the turn ends without another model call. */
  budgetStopped?: boolean;
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

/** Gives every tool call still without a result one, so the transcript stays valid. */
export function closeOpenCalls(
  state: AgentState,
  reason: Extract<ToolResultData, { kind: 'not_run' }>['reason'],
): AgentState {
  const open = pendingToolUses(state);
  if (open.length === 0) return state;
  return {
    ...state,
    messages: appendMessage(state.messages, {
      role: 'user',
      content: open.map((u) => toolResult(u.id, { kind: 'not_run', reason })),
    }),
  };
}

/**
 * What the person's latest message said: their text and the system notes with it (tool results
 * left out). The intent parser reads it.
 */
export function latestPersonMessage(state: AgentState): ContentBlock[] {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    const message = state.messages[i];
    if (message?.role !== 'user') continue;
    const said = message.content.filter((b) => b.type === 'text' || b.type === 'system_note');
    if (said.length > 0) return said;
  }
  return [{ type: 'text', text: '' }];
}
