import type { ContentBlock } from '../../ports/language-model.ts';
import type { PipelineEvent } from '../pipelines/pipeline-event.ts';

/**
 * What the system reports to the agent alongside (or instead of) what the person typed. These
 * travel as their own content blocks (system_note), never as text in the person's message, so
 * nothing a person types can pass for one.
 */
export type SystemEvent =
  /** The value the agent asked for arrived in the chat and is stored under the project. */
  | { kind: 'secret_stored'; projectId: string; key: string }
  /** Secrets the person pasted were taken out of their text and stashed; these refs claim them. */
  | { kind: 'secrets_withheld'; secrets: Array<{ ref: string; kind: string }> }
  /** A pipeline run of one of the person's projects moved on; tell them, unasked. */
  | { kind: 'pipeline_event'; event: PipelineEvent }
  /** A reminder the person set came due; tell them. */
  | { kind: 'reminder'; id: string; text: string };

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
    case 'pipeline_event':
      return renderPipelineEvent(event.event);
    case 'reminder':
      return `It is time for the reminder the person set (${event.id}): "${event.text}". Remind them in a short message.`;
  }
}

/** The block an event travels in: its rendering for real models, and the event as data. */
export function systemNote(event: SystemEvent): ContentBlock {
  return { type: 'system_note', text: renderSystemEvent(event), data: event };
}

/** The event a system_note block carries, when it is one of ours. */
export function systemEventOf(block: { data?: unknown }): SystemEvent | undefined {
  const data = block.data as { kind?: unknown } | undefined;
  return data?.kind === 'secret_stored' ||
    data?.kind === 'secrets_withheld' ||
    data?.kind === 'pipeline_event' ||
    data?.kind === 'reminder'
    ? (data as SystemEvent)
    : undefined;
}

function renderPipelineEvent(e: PipelineEvent): string {
  const run = `The ${e.pipeline} run ${e.runName} of project ${e.projectId}`;
  const tell = ' Tell the person in a short message, with the link if there is one.';
  switch (e.kind) {
    case 'started':
      return `${run} started.${tell}`;
    case 'succeeded':
      return `${run} succeeded after ${e.attempts ?? 1} attempt(s): repository ${e.htmlUrl}, commit ${e.commit}; its tests pass on a clean checkout.${tell}`;
    case 'failed': {
      const putBack =
        e.pipeline === 'devops' && e.commit
          ? ` The release ${e.commit} that served before was put back and fails its health check too.`
          : '';
      return `${run} failed: ${e.error ?? 'no reason given'}.${putBack}${tell}`;
    }
    case 'given_up':
      return `${run} was given up by the person after ${e.attempts ?? 0} red attempt(s).${tell}`;
    case 'waiting':
      return `${run} waits for the person's decision (buttons sent).${tell}`;
    case 'secret_needed':
      return `${run} needs the secret ${e.secretKey} and waits up to 24 hours. Ask the person to send its value as their next message (it will be deleted and stored, never shown to you).`;
    case 'deployed':
      return `${run} deployed commit ${e.commit} and it passed its health check: ${e.url}. Changes: ${e.changes ?? 'not recorded'}.${tell}`;
    case 'stopped_at_budget':
      return e.pipeline === 'devops'
        ? `${run} was stopped by the person at the monthly budget before it changed anything on the server.${tell}`
        : `${run} was stopped by the person at the monthly budget, after ${e.attempts ?? 0} attempt(s).${tell}`;
    case 'rolled_back':
      return `${run} failed (${e.error ?? 'no reason given'}); the previous release ${e.commit ?? ''} was restored and still serves at ${e.url}.${tell}`;
    case 'unhealthy':
      return `Project ${e.projectId}, deployed by ${e.runName}, is down: its health check at ${e.url} failed ${e.attempts ?? 2} times in a row (${e.error ?? 'no answer'}).${tell}`;
    case 'recovered':
      return `Project ${e.projectId}, deployed by ${e.runName}, is back: its health check at ${e.url} passes again.${tell}`;
  }
}
