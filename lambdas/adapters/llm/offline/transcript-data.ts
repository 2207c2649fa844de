import { type SystemEvent, systemEventOf } from '../../../domain/agent/system-events.ts';
import { resultData } from '../../../domain/agent/tool-results.ts';
import type { ChatMessage, ContentBlock, ToolDefinition } from '../../../ports/language-model.ts';

/** What the offline model reads from a transcript: blocks and their typed data, never sentences. */

export type ToolUse = Extract<ContentBlock, { type: 'tool_use' }>;

/** The person's latest message: what they typed and the system events that came with it. */
export function latestPersonMessage(messages: ChatMessage[]): { text: string; events: SystemEvent[] } {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== 'user') continue;
    const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
    const events = message.content.flatMap((b) => {
      const event = b.type === 'system_note' ? systemEventOf(b) : undefined;
      return event ? [event] : [];
    });
    if (text || events.length > 0) return { text, events };
  }
  return { text: '', events: [] };
}

// Results of the calls that claim a pasted secret by its ref (secretRef).
const CLAIMING_RESULTS: ReadonlySet<string> = new Set(['secret_stored', 'server_added', 'pool_bot_added']);

/**
 * Secrets the person pasted (system notes) that no successful call (set_project_secret,
 * add_server, add_pool_bot) has claimed yet, each once, oldest first.
 */
export function unclaimedSecrets(messages: ChatMessage[]): Array<{ ref: string; kind: string }> {
  const withheld = new Map<string, string>();
  const calls = new Map<string, ToolUse>();
  for (const message of messages) {
    for (const block of message.content) {
      if (block.type === 'system_note') {
        const event = systemEventOf(block);
        if (event?.kind === 'secrets_withheld') for (const s of event.secrets) withheld.set(s.ref, s.kind);
      } else if (block.type === 'tool_use') calls.set(block.id, block);
      else if (block.type === 'tool_result' && CLAIMING_RESULTS.has(resultData(block)?.kind ?? '')) {
        const ref = calls.get(block.toolUseId)?.input.secretRef;
        if (typeof ref === 'string') withheld.delete(ref);
      }
    }
  }
  return [...withheld].map(([ref, kind]) => ({ ref, kind }));
}

export function toolUses(message: ChatMessage | undefined): ToolUse[] {
  return message?.role === 'assistant'
    ? message.content.filter((b): b is ToolUse => b.type === 'tool_use')
    : [];
}

export const hasTool = (tools: ToolDefinition[] | undefined, name: string): boolean =>
  tools?.some((t) => t.name === name) ?? false;

/**
 * The project the conversation is about: the one the latest tool result names (created, shown,
 * a secret stored for it, a pipeline asked for), or the only one a listing showed. Read from
 * the results' data, so "deploy it" means what the person just saw.
 */
export function latestProjectIn(messages: ChatMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const blocks = messages[i]?.content ?? [];
    for (let j = blocks.length - 1; j >= 0; j--) {
      const block = blocks[j];
      // What the system reported last (a run of a project moved on, a secret stored) is about a
      // project too: "it" is that one. Its id names it as well as its name does.
      const event = block?.type === 'system_note' ? systemEventOf(block) : undefined;
      if (event?.kind === 'pipeline_event') return event.event.projectId;
      if (event?.kind === 'secret_stored') return event.projectId;
      const data = block?.type === 'tool_result' ? resultData(block) : undefined;
      if (!data) continue;
      // A deleted project is no longer one "it" can mean.
      if (data.kind === 'project_deleted') return undefined;
      if ('project' in data && typeof data.project === 'object') return data.project.name;
      if (data.kind === 'projects_listed' && data.projects.length === 1) return data.projects[0]?.name;
    }
  }
  return undefined;
}

/** The latest pasted secret of this kind that nothing has claimed yet. */
export function unclaimedSecretOf(messages: ChatMessage[], kind: string): string | undefined {
  return unclaimedSecrets(messages)
    .filter((s) => s.kind === kind)
    .at(-1)?.ref;
}
