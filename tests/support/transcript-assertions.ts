import { expect } from 'vitest';
import type { ChatMessage } from '../../lambdas/ports/language-model.ts';

/**
 * Asserts the transcript is one a provider accepts: it starts with the person, roles alternate,
 * no message is empty, every tool call gets exactly one result in the very next message (results
 * before any text there), and every result answers a call of the message before it. With
 * `pendingAtEnd`, the last assistant message may still wait for its results (a turn suspended on
 * a confirmation).
 */
export function expectValidTranscript(
  messages: ChatMessage[],
  options: { pendingAtEnd?: boolean } = {},
): void {
  const problems: string[] = [];
  const seenToolUseIds = new Set<string>();
  if (messages.length > 0 && messages[0]?.role !== 'user')
    problems.push('the first message is not from the person');
  messages.forEach((message, i) => {
    if (message.content.length === 0) problems.push(`message ${i} is empty`);
    const previous = messages[i - 1];
    if (previous && previous.role === message.role)
      problems.push(`messages ${i - 1} and ${i} are both ${message.role}`);
    if (message.role === 'assistant') {
      const uses = message.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));
      if (message.content.some((b) => b.type === 'tool_result'))
        problems.push(`assistant message ${i} holds a tool_result`);
      for (const id of uses) {
        if (seenToolUseIds.has(id)) problems.push(`tool_use id ${id} appears twice`);
        seenToolUseIds.add(id);
      }
      const next = messages[i + 1];
      if (!next) {
        if (uses.length > 0 && !options.pendingAtEnd)
          problems.push(`last message ${i} has calls without results`);
        return;
      }
      const answered = next.content.flatMap((b) => (b.type === 'tool_result' ? [b.toolUseId] : []));
      for (const id of uses) {
        const count = answered.filter((a) => a === id).length;
        if (count !== 1)
          problems.push(`tool_use ${id} of message ${i} has ${count} results in message ${i + 1}`);
      }
      return;
    }
    if (message.content.some((b) => b.type === 'tool_use'))
      problems.push(`user message ${i} holds a tool_use`);
    const firstText = message.content.findIndex((b) => b.type === 'text');
    const lastResult = message.content.findLastIndex((b) => b.type === 'tool_result');
    if (firstText !== -1 && lastResult > firstText)
      problems.push(`user message ${i} has text before a tool_result`);
    const asked = new Set((previous?.content ?? []).flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])));
    for (const block of message.content) {
      if (block.type === 'tool_result' && !asked.has(block.toolUseId)) {
        problems.push(`tool_result ${block.toolUseId} in message ${i} answers no call of message ${i - 1}`);
      }
    }
  });
  expect(problems, 'transcript problems').toEqual([]);
}
