import type { SystemEvent } from './system-events.ts';

/**
 * News from the system (a pipeline's progress, a stored secret, a reminder) in plain words, from
 * the typed event alone: what the offline model says, and what a turn at its monthly budget
 * sends without asking any model. Each text says what the person can do next.
 */
export function reportEvent(event: SystemEvent): string {
  switch (event.kind) {
    case 'secret_stored':
      return `Stored ${event.key} for ${event.projectId}. It is kept encrypted; I never see the value.`;
    case 'secrets_withheld': {
      const kinds = new Set(event.secrets.map((s) => s.kind));
      if (kinds.size === 1 && kinds.has('PRIVATE_KEY')) {
        return 'I took the SSH key out of the chat and stored it encrypted. Say "add server <host> user <name>" to register the server with it, or "store secrets for <project>".';
      }
      const pool = kinds.has('TELEGRAM_BOT_TOKEN')
        ? ' Admins: "add pool bot" puts a bot token in the bot pool.'
        : '';
      return `Which project is this for? Say "store secrets for <project>".${pool}`;
    }
    case 'pipeline_event':
      return reportPipelineEvent(event.event);
    case 'reminder':
      return `Reminder: ${event.text}`;
  }
}

function reportPipelineEvent(e: Extract<SystemEvent, { kind: 'pipeline_event' }>['event']): string {
  if (e.pipeline === 'devops') return reportDeployEvent(e);
  switch (e.kind) {
    case 'started':
      return `The build of ${e.projectId} started (run ${e.runName}).`;
    case 'succeeded':
      return `Built ${e.projectId}: ${e.htmlUrl} (commit ${e.commit?.slice(0, 7)}, tests pass on a clean checkout, ${e.attempts ?? 1} attempt(s)).`;
    case 'failed':
      return `The build of ${e.projectId} failed: ${e.error ?? 'see run status'}.`;
    case 'given_up':
      return `The build of ${e.projectId} was given up after ${e.attempts ?? 0} red attempts.`;
    case 'waiting':
      return `The build of ${e.projectId} waits for your decision.`;
    case 'stopped_at_budget':
      return `The build of ${e.projectId} was stopped at the monthly budget after ${e.attempts ?? 0} attempt(s).`;
    default:
      return `The build of ${e.projectId}: ${e.kind}.`;
  }
}

function reportDeployEvent(e: Extract<SystemEvent, { kind: 'pipeline_event' }>['event']): string {
  switch (e.kind) {
    case 'started':
      return `The deploy of ${e.projectId} started (run ${e.runName}).`;
    case 'secret_needed':
      return `The deploy of ${e.projectId} needs ${e.secretKey}. Send me its value as your next message: I will delete the message and store the value encrypted.`;
    case 'deployed':
      return `${e.projectId} is live at ${e.url} (commit ${e.commit?.slice(0, 7)}, health check passed). Changes: ${e.changes ?? 'not recorded'}.`;
    case 'rolled_back':
      return `The deploy of ${e.projectId} failed: ${e.error ?? 'see run status'}. The previous release (${e.commit?.slice(0, 7)}) was restored and still serves at ${e.url}.`;
    case 'failed':
      return `The deploy of ${e.projectId} failed: ${e.error ?? 'see run status'}.${e.commit ? ` Its last good release (${e.commit.slice(0, 7)}) was put back and fails its health check too.` : ''}`;
    case 'unhealthy':
      return `${e.projectId} is down: ${e.url}/health failed ${e.attempts ?? 2} checks in a row (${e.error ?? 'no answer'}). I will tell you when it is back.`;
    case 'recovered':
      return `${e.projectId} is back up: ${e.url}/health answers again.`;
    case 'stopped_at_budget':
      return `The deploy of ${e.projectId} was stopped at the monthly budget before it changed anything; what served before still serves.`;
    default:
      return `The deploy of ${e.projectId}: ${e.kind}.`;
  }
}
