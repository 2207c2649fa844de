import { describeAllocation, describePoolBot, describeServer } from '../../../domain/agent/resource-facts.ts';
import type { SystemEvent } from '../../../domain/agent/system-events.ts';
import {
  describeBudgetSet,
  type ProjectFacts,
  type ToolResultData,
} from '../../../domain/agent/tool-results.ts';
import { describeOperations } from '../../../domain/operations/operations-facts.ts';
import { formatStanding } from '../../../domain/usage/budgets.ts';
import { formatUsage } from '../../../domain/usage/usage-ledger.ts';

/** What the offline model tells the person, written from typed results, never from their text. */

// respond_to_user takes at most 4000 characters.
const MAX_REPLY = 4000;

const describe = (p: ProjectFacts) =>
  `${p.name} (id ${p.id}): ${p.status}, secrets: ${p.secretKeys.length > 0 ? p.secretKeys.join(', ') : 'none'}`;

/** One result in plain words, or nothing for results that are not news to the person. */
export function reportResult(data: ToolResultData, rendered: string): string | undefined {
  switch (data.kind) {
    case 'message_sent':
    case 'turn_finished':
    case 'capabilities_requested':
      return undefined;
    case 'project_created':
      return `Created project ${data.project.name} (id ${data.project.id}). Say "build ${data.project.name}" to start engineering.`;
    case 'projects_listed':
      return data.projects.length === 0
        ? 'You have no projects yet. Say "create project <name>: <what it does>".'
        : [`Projects (${data.projects.length}):`, ...data.projects.map((p) => `- ${describe(p)}`)].join('\n');
    case 'project_shown':
      return [
        `${describe(data.project)}. What it is: "${data.project.description}"`,
        ...(data.allocation ? [`It ${describeAllocation(data.allocation)}.`] : []),
        ...describeOperations(data.operations).map(
          (line) => `${line.charAt(0).toUpperCase()}${line.slice(1)}.`,
        ),
      ].join('\n');
    case 'secret_stored':
      return `Stored ${data.key} for ${data.project.name}. It is kept encrypted; I never see the value.`;
    case 'secret_awaited':
      return `Send me the value of ${data.key} for ${data.project.name} now. I will store it encrypted and delete your message.`;
    case 'pipeline_not_available':
      return `The ${data.pipeline} pipeline is not part of this installation yet, so nothing was started.`;
    case 'run_started':
      return data.pipeline === 'devops'
        ? `Started deploying ${data.project.name} (run ${data.runName}). I will send you its address when it is live.`
        : `Started building ${data.project.name} (run ${data.runName}). I will tell you when it is done.`;
    case 'run_status':
    case 'escalation_answered':
      return rendered;
    case 'no_runs':
      return `${data.project.name} has no pipeline runs yet.`;
    case 'nothing_to_approve':
      return `Nothing is waiting for approval on ${data.project.name}.`;
    case 'users_listed':
      return data.users.length === 0
        ? 'No admitted users besides the configured admins.'
        : data.users.map((u) => `- ${u.userId}${u.displayName ? ` (${u.displayName})` : ''}`).join('\n');
    case 'servers_listed':
      return data.servers.length === 0
        ? 'No servers are registered. Paste a server\'s SSH private key, then say "add server <host> user <name>".'
        : [`Servers (${data.servers.length}):`, ...data.servers.map((s) => `- ${describeServer(s)}`)].join(
            '\n',
          );
    case 'server_added':
      return `Added server ${data.server.id} (${data.server.host}, ports ${data.server.portRange.from}-${data.server.portRange.to}). Its SSH key is stored encrypted.`;
    case 'server_removed':
      return `Removed server ${data.serverId} (${data.host}) and its SSH key.`;
    case 'bot_pool_listed':
      return data.bots.length === 0
        ? 'The bot pool is empty. Paste a bot token, then say "add pool bot".'
        : [`Pool bots (${data.bots.length}):`, ...data.bots.map((b) => `- ${describePoolBot(b)}`)].join('\n');
    case 'pool_bot_added':
      return `Added @${data.bot.username} to the bot pool. Its token is stored encrypted.`;
    case 'pool_bot_removed':
      return `Removed @${data.username} from the bot pool and deleted its token.`;
    case 'project_deleted':
      return `Deleted ${data.project.name}: its secrets are gone and its server port and bot are free again. Its repository is kept.`;
    case 'usage_report':
      return [
        formatUsage(data.scope === 'all' ? 'Everyone this month' : 'You this month', data.totals),
        ...(data.budgets ?? []).map(formatStanding),
      ].join('\n');
    case 'budget_set':
      return describeBudgetSet(data);
    case 'reminder_set':
      return `OK, I will remind you at ${data.reminder.at} (UTC): "${data.reminder.text}" (id ${data.reminder.id}).`;
    case 'reminders_listed':
      return data.reminders.length === 0
        ? 'You have no reminders waiting.'
        : [
            `Reminders (${data.reminders.length}):`,
            ...data.reminders.map((r) => `- ${r.id} at ${r.at} (UTC): ${r.text}`),
          ].join('\n');
    case 'reminder_cancelled':
      return `Cancelled reminder ${data.reminder.id} ("${data.reminder.text}").`;
    case 'api_key_issued':
      return `${data.rotated ? 'Rotated' : 'Created'} API key ${data.key.id} ("${data.key.name}", for user ${data.key.ownerId}). Its secret is in the message above: copy it, then delete that message.`;
    case 'api_keys_listed':
      return data.keys.length === 0
        ? 'No API keys yet. Say "create api key <name>".'
        : [
            `API keys (${data.keys.length}):`,
            ...data.keys.map(
              (k) => `- ${k.id} "${k.name}": user ${k.ownerId}${k.revokedAt ? ', revoked' : ''}`,
            ),
          ].join('\n');
    case 'api_key_revoked':
      return `Revoked API key ${data.key.id} ("${data.key.name}"): it is refused from now on.`;
    case 'knowledge_found':
      return reportPassages(data);
    case 'knowledge_not_available':
      return `Project knowledge search is not set up here, so I searched nothing for ${data.project.name}.`;
    case 'declined':
      return 'OK, I did not do it.';
    case 'not_run':
    case 'interrupted':
    case 'tool_unavailable':
    case 'invalid_input':
    case 'failed':
      return `That did not work: ${rendered}`;
  }
}

/** The sources found, each with its first line: the offline model quotes no more than that. */
function reportPassages(data: Extract<ToolResultData, { kind: 'knowledge_found' }>): string {
  if (data.passages.length === 0) return `I found nothing in ${data.project.name} about "${data.query}".`;
  const lines = data.passages.map((p, i) => {
    const first = p.text.split('\n').find((l) => /\w/.test(l) && !/^#/.test(l)) ?? '';
    const excerpt = first.length > 120 ? `${first.slice(0, 119)}…` : first;
    const source = `${p.path} @ ${p.commit.slice(0, 7)} (${p.scope})${p.link ? ` ${p.link}` : ''}`;
    return `${i + 1}. ${source}${excerpt ? `\n   "${excerpt.trim()}"` : ''}`;
  });
  return [
    `Found ${data.passages.length} source(s) in ${data.project.name} for "${data.query}":`,
    ...lines,
  ].join('\n');
}

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
    default:
      return `The deploy of ${e.projectId}: ${e.kind}.`;
  }
}

export const HELP = [
  'I am the offline model (no real AI). I understand these commands:',
  '- create project <name>: <what it does>, or make me a <something> bot [with ...]',
  '- list my projects',
  '- status of <project>',
  '- build <project>, deploy <project>, build and deploy <project>, run status of <project>,\n  approve <project>',
  '  ("it" stands for the project we were just talking about)',
  '- set secret <KEY> for <project> (then send the value), or paste a token with "for <project>"',
  '- usage',
  '- delete <project> (asks first)',
  '- search <project> for <question>, e.g. search weather-bot for why did we pick SQLite',
  '- admins: list all projects, users, servers, usage of everyone',
  "- admins: paste a server's SSH private key, then add server <host> user <name> [port <n>] [ports <from>-<to>];",
  '  remove server <id>; paste a bot token, then add pool bot; bot pool; remove pool bot <id>',
  '- remind me in <n> seconds|minutes|hours|days to <what>; list reminders; cancel reminder <id>',
  '- admins: set budget for user <id> to $<n>, set budget for project <name> to $<n>',
  '- admins: create api key <name> [for <user id>]; api keys; rotate api key <id>; revoke api key <id>',
].join('\n');

export const PASTE_KEY_FIRST =
  'Paste the server\'s SSH private key first (I delete the message and keep the key encrypted), then say "add server <host> user <name>" again.';

export const PASTE_TOKEN_FIRST =
  'Paste the bot token first (I delete the message and keep it encrypted), then say "add pool bot" again.';

export const USE_THE_BUTTONS = 'Nothing is waiting for a typed answer: use the buttons under a question.';

export const NOTHING_PENDING = 'No secret you sent is waiting for a project.';

export const unavailable = (groups: string[]): string =>
  `I cannot do that here: it needs the ${groups.join(' and ')} tools, which are not available to you.`;

export function clamp(text: string): string {
  return text.length <= MAX_REPLY ? text : `${text.slice(0, MAX_REPLY - 1)}…`;
}
