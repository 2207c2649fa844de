import type { ChatMessage, ContentBlock } from '../../ports/language-model.ts';
import { isErrorResult, renderToolResult, type ToolResultData } from './tool-results.ts';

/** Appends to the transcript keeping Bedrock's rule that user and assistant messages alternate. */
export function appendMessage(messages: ChatMessage[], message: ChatMessage): ChatMessage[] {
  const last = messages.at(-1);
  if (last && last.role === message.role) {
    return [...messages.slice(0, -1), { role: last.role, content: [...last.content, ...message.content] }];
  }
  return [...messages, message];
}

export const userText = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });

/** A result block: the rendering the model reads, with the data it was rendered from. */
export function toolResult(toolUseId: string, data: ToolResultData): ContentBlock {
  const isError = isErrorResult(data);
  return {
    type: 'tool_result',
    toolUseId,
    content: renderToolResult(data),
    ...(isError ? { isError } : {}),
    data,
  };
}

/** The person's message: what they typed, then what the system reports alongside it. */
export function personMessage(text: string | undefined, notes: ContentBlock[]): ChatMessage {
  // A message is never empty (providers reject that): no notes means the text, even if blank.
  const typed: ContentBlock[] = text || notes.length === 0 ? [{ type: 'text', text: text ?? '' }] : [];
  return { role: 'user', content: [...typed, ...notes] };
}

/**
 * Where older messages can be folded into a summary: a user message that starts a turn (text
 * only, no tool results whose calls would be cut off), as late as possible while keeping the
 * messages from `from` on; failing that, the first such message after `from`.
 */
export function summaryCutIndex(messages: ChatMessage[], from: number): number | undefined {
  const startsTurn = (i: number) => {
    const m = messages[i];
    return m?.role === 'user' && m.content.every((b) => b.type === 'text' || b.type === 'system_note');
  };
  for (let i = Math.min(from, messages.length - 1); i >= 1; i--) if (startsTurn(i)) return i;
  for (let i = Math.max(1, from); i < messages.length; i++) if (startsTurn(i)) return i;
  return undefined;
}

/** One entry of the document the summariser reads. */
export type SummaryEntry =
  | { from: 'person' | 'assistant'; text: string }
  | { from: 'system'; note: unknown }
  | { from: 'assistant'; call: string; input: Record<string, unknown> }
  | { from: 'tool'; result: unknown };

export interface SummaryDocument {
  earlierSummary?: string;
  messages: SummaryEntry[];
}

/**
 * The messages to fold away as one JSON document for the summariser: a real model reads JSON as
 * well as prose, and the offline model reads it as data. Results go as their typed data where
 * they have it, which is shorter than the rendering and says the same.
 */
export function summaryDocument(earlierSummary: string | undefined, messages: ChatMessage[]): string {
  const entries = messages.flatMap((m) =>
    m.content.map((b): SummaryEntry => {
      if (b.type === 'text') return { from: m.role === 'user' ? 'person' : 'assistant', text: b.text };
      if (b.type === 'system_note') return { from: 'system', note: b.data ?? b.text };
      if (b.type === 'tool_use') return { from: 'assistant', call: b.name, input: b.input };
      return { from: 'tool', result: b.data ?? b.content };
    }),
  );
  const document: SummaryDocument = { ...(earlierSummary ? { earlierSummary } : {}), messages: entries };
  return JSON.stringify(document);
}
