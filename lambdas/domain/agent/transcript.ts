import type { ChatMessage, ContentBlock } from '../../ports/language-model.ts';

/** Appends to the transcript keeping Bedrock's rule that user and assistant messages alternate. */
export function appendMessage(messages: ChatMessage[], message: ChatMessage): ChatMessage[] {
  const last = messages.at(-1);
  if (last && last.role === message.role) {
    return [...messages.slice(0, -1), { role: last.role, content: [...last.content, ...message.content] }];
  }
  return [...messages, message];
}

export const userText = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });

export function toolResult(toolUseId: string, content: string, isError = false): ContentBlock {
  return { type: 'tool_result', toolUseId, content, ...(isError ? { isError: true } : {}) };
}

/**
 * Where older messages can be folded into a summary: a user message that starts a turn (text
 * only, no tool results whose calls would be cut off), as late as possible while keeping the
 * messages from `from` on; failing that, the first such message after `from`.
 */
export function summaryCutIndex(messages: ChatMessage[], from: number): number | undefined {
  const startsTurn = (i: number) => {
    const m = messages[i];
    return m?.role === 'user' && m.content.every((b) => b.type === 'text');
  };
  for (let i = Math.min(from, messages.length - 1); i >= 1; i--) if (startsTurn(i)) return i;
  for (let i = Math.max(1, from); i < messages.length; i++) if (startsTurn(i)) return i;
  return undefined;
}

/** Plain-text rendering of messages for the summariser. */
export function renderForSummary(messages: ChatMessage[]): string {
  return messages
    .map((m) =>
      m.content
        .map((b) => {
          if (b.type === 'text') return `${m.role === 'user' ? 'Person' : 'Assistant'}: ${b.text}`;
          if (b.type === 'tool_use') return `Assistant called ${b.name}(${JSON.stringify(b.input)})`;
          return `Result: ${b.content}`;
        })
        .join('\n'),
    )
    .join('\n');
}
