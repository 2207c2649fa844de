import type { ContentBlock } from '../../ports/language-model.ts';

/**
 * What the system reports to the agent alongside (or instead of) what the person typed. These
 * travel as their own content blocks (system_note), never as text in the person's message, so
 * nothing a person types can pass for one.
 */
export type SystemEvent =
  /** The value the agent asked for arrived in the chat and is stored under the project. */
  | { kind: 'secret_stored'; projectId: string; key: string }
  /** Secrets the person pasted were taken out of their text and stashed; these refs claim them. */
  | { kind: 'secrets_withheld'; secrets: Array<{ ref: string; kind: string }> };

/** A message for the agent: what the person typed (if anything) and what the system adds. */
export interface PersonInput {
  text?: string;
  events?: SystemEvent[];
}

/** The text a real model reads for an event (adapters mark it as a system note). */
export function renderSystemEvent(event: SystemEvent): string {
  switch (event.kind) {
    case 'secret_stored':
      return `The person sent the value of ${event.key} for project ${event.projectId}; it is stored.`;
    case 'secrets_withheld':
      return (
        `The person's message held ${event.secrets.length} secret(s), taken out and stored: ` +
        `${event.secrets.map((s) => `[secret:${s.ref} ${s.kind}]`).join(', ')}. ` +
        'Pass a ref as secretRef to set_project_secret to store it under a project.'
      );
  }
}

/** The block an event travels in: its rendering for real models, and the event as data. */
export function systemNote(event: SystemEvent): ContentBlock {
  return { type: 'system_note', text: renderSystemEvent(event), data: event };
}

/** The event a system_note block carries, when it is one of ours. */
export function systemEventOf(block: { data?: unknown }): SystemEvent | undefined {
  const data = block.data as { kind?: unknown } | undefined;
  return data?.kind === 'secret_stored' || data?.kind === 'secrets_withheld'
    ? (data as SystemEvent)
    : undefined;
}
