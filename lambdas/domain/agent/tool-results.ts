import type { AdmittedUser } from '../access/user-directory.ts';
import type { ApiKeyInfo } from '../api-keys/api-keys.ts';
import type { DeployFacts } from '../deploys/devops-service.ts';
import { type KnowledgePassage, quotePassages } from '../knowledge/knowledge-search.ts';
import { describeOperations, type OperationsFacts } from '../operations/operations-facts.ts';
import type { RunFacts } from '../pipelines/engineering-service.ts';
import type { Project, ProjectStatus } from '../projects/project.ts';
import { type BudgetStanding, formatStanding } from '../usage/budgets.ts';
import { formatUsage, type UsageTotals } from '../usage/usage-ledger.ts';
import {
  type AllocationFacts,
  describeAllocation,
  describePoolBot,
  describeServer,
  type PoolBotFacts,
  type ServerFacts,
} from './resource-facts.ts';

/** A project as a tool reports it. */
export interface ProjectFacts {
  id: string;
  name: string;
  ownerId: number;
  status: ProjectStatus;
  description: string;
  secretKeys: string[];
}

/** A reminder as a tool reports it (`at`: ISO 8601, UTC). */
export interface ReminderFacts {
  id: string;
  at: string;
  text: string;
}

/** Names the project a result is about, when the result does not describe it whole. */
export interface ProjectName {
  id: string;
  name: string;
}

/**
 * What a tool call came to, as data. The loop renders it to text for the model and keeps the data
 * beside it in the transcript, so code that reads results (the offline model, tests) never has to
 * parse a sentence. Adding a kind here means adding its rendering below.
 */
export type ToolResultData =
  | { kind: 'message_sent' }
  | { kind: 'capabilities_requested'; groups: string[] }
  | { kind: 'turn_finished' }
  | { kind: 'project_created'; project: ProjectFacts }
  | { kind: 'projects_listed'; projects: ProjectFacts[] }
  /** `allocation`: where the project runs, when it holds deployment resources. */
  /** `operations`: what the scheduled jobs last saw (repository, health), when they saw anything. */
  | {
      kind: 'project_shown';
      project: ProjectFacts;
      allocation?: AllocationFacts;
      operations?: OperationsFacts;
    }
  | { kind: 'project_deleted'; project: ProjectName }
  | { kind: 'secret_stored'; project: ProjectName; key: string }
  | { kind: 'secret_awaited'; project: ProjectName; key: string }
  | { kind: 'pipeline_not_available'; pipeline: 'engineering' | 'devops'; project: ProjectName }
  | { kind: 'run_started'; pipeline: 'engineering' | 'devops'; project: ProjectName; runName: string }
  | { kind: 'run_status'; project: ProjectName; run?: RunFacts; deploy?: DeployFacts }
  | { kind: 'escalation_answered'; project: ProjectName; decision: 'try_again' | 'give_up' }
  | { kind: 'no_runs'; project: ProjectName }
  | { kind: 'nothing_to_approve'; project: ProjectName }
  | { kind: 'users_listed'; users: Array<{ userId: number; displayName?: string }> }
  | { kind: 'servers_listed'; servers: ServerFacts[] }
  | { kind: 'server_added'; server: ServerFacts }
  | { kind: 'server_removed'; serverId: string; host: string }
  | { kind: 'bot_pool_listed'; bots: PoolBotFacts[] }
  | { kind: 'pool_bot_added'; bot: PoolBotFacts }
  | { kind: 'pool_bot_removed'; botId: string; username: string }
  | { kind: 'usage_report'; scope: 'mine' | 'all'; totals: UsageTotals; budgets?: BudgetStanding[] }
  | { kind: 'reminder_set'; reminder: ReminderFacts }
  | { kind: 'reminders_listed'; reminders: ReminderFacts[] }
  | { kind: 'reminder_cancelled'; reminder: ReminderFacts }
  | { kind: 'budget_set'; scope: 'person' | 'project'; target: string; monthlyUsd: number }
  /** The key's secret went to the chat in a message of its own; it is never in a result. */
  | { kind: 'api_key_issued'; key: ApiKeyInfo; rotated: boolean }
  | { kind: 'api_keys_listed'; keys: ApiKeyInfo[] }
  | { kind: 'api_key_revoked'; key: ApiKeyInfo }
  | { kind: 'knowledge_found'; project: ProjectName; query: string; passages: KnowledgePassage[] }
  | { kind: 'knowledge_not_available'; project: ProjectName }
  | { kind: 'declined' }
  // The errors: the call did nothing, or failed.
  | { kind: 'not_run'; reason: 'new_message' | 'confirmation_abandoned' | 'turn_ended' }
  | { kind: 'interrupted' }
  | { kind: 'tool_unavailable'; tool: string }
  | { kind: 'invalid_input'; tool: string; problems: string[] }
  | { kind: 'failed'; code: 'not_found' | 'forbidden' | 'invalid' | 'conflict'; message: string };

export type ToolResultKind = ToolResultData['kind'];

const ERROR_KINDS: ReadonlySet<ToolResultKind> = new Set([
  'not_run',
  'interrupted',
  'tool_unavailable',
  'invalid_input',
  'failed',
]);

export const isErrorResult = (data: ToolResultData): boolean => ERROR_KINDS.has(data.kind);

export function projectFacts(p: Project): ProjectFacts {
  return {
    id: p.id,
    name: p.name,
    ownerId: p.ownerId,
    status: p.status,
    description: p.description,
    secretKeys: [...p.secretKeys],
  };
}

export const projectName = (p: { id: string; name: string }): ProjectName => ({ id: p.id, name: p.name });

export function admittedUsers(users: AdmittedUser[]): Array<{ userId: number; displayName?: string }> {
  return users.map((u) => ({ userId: u.userId, ...(u.displayName ? { displayName: u.displayName } : {}) }));
}

function describeProject(p: ProjectFacts): string {
  const secrets = p.secretKeys.length > 0 ? p.secretKeys.join(', ') : 'none';
  return `${p.name} (id ${p.id}, owner ${p.ownerId}): status ${p.status}; secrets: ${secrets}; "${p.description}"`;
}

// The engineering and devops pipelines arrive in their own issues; until then the model is told
// plainly that nothing ran, so it does not pretend otherwise.
const notLanded = (pipeline: string) =>
  `The ${pipeline} pipeline is not part of this installation yet, so nothing was started. ` +
  'Tell the person so plainly; do not pretend it ran.';

export function describeRun(projectName: string, run: RunFacts): string {
  const parts = [
    `Run ${run.runName} of ${projectName}: ${run.status}`,
    run.step ? `step "${run.step}"` : undefined,
    run.attempts > 0 ? `attempt ${run.attempts}` : undefined,
    `${run.elapsedSeconds} s`,
    run.htmlUrl ? `repository ${run.htmlUrl}` : undefined,
    run.waitingForDecision ? 'waiting for the owner to choose Try again or Give up' : undefined,
  ];
  return `${parts.filter(Boolean).join(', ')}.`;
}

export function describeDeploy(projectName: string, deploy: DeployFacts): string {
  const parts = [
    `Deploy ${deploy.runName} of ${projectName}: ${deploy.status}`,
    deploy.step ? `step "${deploy.step}"` : undefined,
    deploy.commit ? `commit ${deploy.commit.slice(0, 7)}` : undefined,
    `${deploy.elapsedSeconds} s`,
    deploy.url ? `serving at ${deploy.url}` : undefined,
    deploy.waitingForSecret ? `waiting for the owner to send ${deploy.waitingForSecret}` : undefined,
  ];
  return `${parts.filter(Boolean).join(', ')}.`;
}

function describeApiKey(k: ApiKeyInfo): string {
  const state = k.revokedAt ? `revoked ${k.revokedAt}` : k.rotatedAt ? `rotated ${k.rotatedAt}` : 'active';
  return `${k.id} "${k.name}": user ${k.ownerId}, created ${k.createdAt}, ${state}`;
}

/** The text the model reads for a result. */
export function renderToolResult(data: ToolResultData): string {
  switch (data.kind) {
    case 'message_sent':
      return 'Message sent.';
    case 'capabilities_requested':
      return `Requested groups: ${data.groups.join(', ')}.`;
    case 'turn_finished':
      return 'Turn finished.';
    case 'project_created':
      return `Project created: ${describeProject(data.project)}`;
    case 'projects_listed':
      return data.projects.length === 0
        ? 'No projects yet.'
        : `Projects (${data.projects.length}):\n${data.projects.map(describeProject).join('\n')}`;
    case 'project_shown':
      return [
        describeProject(data.project),
        ...(data.allocation ? [describeAllocation(data.allocation)] : []),
        ...describeOperations(data.operations),
      ].join('; ');
    case 'project_deleted':
      return `Project ${data.project.name} (id ${data.project.id}) is deleted: its secrets are gone and its server port and pool bot are free again. Its repository is kept.`;
    case 'secret_stored':
      return `Secret ${data.key} stored for ${data.project.name}.`;
    case 'secret_awaited':
      return `Waiting for the person to send the value of ${data.key} for ${data.project.name}.`;
    case 'pipeline_not_available':
      return notLanded(data.pipeline);
    case 'run_started':
      return (
        `Started the ${data.pipeline} run ${data.runName} for ${data.project.name}. ` +
        'The person will be told as it goes (started, built with the link, or failed); no need to poll.'
      );
    case 'run_status':
      return [
        data.run ? describeRun(data.project.name, data.run) : undefined,
        data.deploy ? describeDeploy(data.project.name, data.deploy) : undefined,
      ]
        .filter(Boolean)
        .join('\n');
    case 'escalation_answered':
      return data.decision === 'try_again'
        ? `The run of ${data.project.name} tries again.`
        : `The run of ${data.project.name} is given up.`;
    case 'no_runs':
      return `${data.project.name} has no pipeline runs yet.`;
    case 'nothing_to_approve':
      return `Nothing is waiting for a decision on ${data.project.name}.`;
    case 'users_listed':
      return data.users.length === 0
        ? 'No admitted users besides the configured admins.'
        : data.users.map((u) => `${u.userId}${u.displayName ? ` (${u.displayName})` : ''}`).join('\n');
    case 'servers_listed':
      return data.servers.length === 0
        ? 'No servers are registered. An admin adds one with add_server.'
        : `Servers (${data.servers.length}):\n${data.servers.map(describeServer).join('\n')}`;
    case 'server_added':
      return `Server added: ${describeServer(data.server)}. Its SSH key is stored encrypted.`;
    case 'server_removed':
      return `Server ${data.serverId} (${data.host}) is removed, with its SSH key.`;
    case 'bot_pool_listed':
      return data.bots.length === 0
        ? 'The bot pool is empty.'
        : `Pool bots (${data.bots.length}):\n${data.bots.map(describePoolBot).join('\n')}`;
    case 'pool_bot_added':
      return `Pool bot added: ${describePoolBot(data.bot)}. Its token is stored encrypted.`;
    case 'pool_bot_removed':
      return `Pool bot @${data.username} (id ${data.botId}) is removed, with its token.`;
    case 'usage_report':
      return [
        formatUsage(data.scope === 'all' ? 'All users this month' : 'Your usage this month', data.totals),
        ...(data.budgets ?? []).map(formatStanding),
      ].join('\n');
    case 'budget_set':
      return describeBudgetSet(data);
    case 'reminder_set':
      return `Reminder ${data.reminder.id} set for ${data.reminder.at} (UTC): "${data.reminder.text}". It arrives in this chat then.`;
    case 'reminders_listed':
      return data.reminders.length === 0
        ? 'No reminders are waiting.'
        : data.reminders.map((r) => `${r.id} at ${r.at} (UTC): "${r.text}"`).join('\n');
    case 'reminder_cancelled':
      return `Reminder ${data.reminder.id} ("${data.reminder.text}") is cancelled; it will not arrive.`;
    case 'api_key_issued':
      return (
        `API key ${data.key.id} ("${data.key.name}", acting as user ${data.key.ownerId}) was ${data.rotated ? 'rotated: the old secret no longer works' : 'created'}. ` +
        'Its secret was sent to the chat in a message of its own; you never see it. Tell the person to copy it now and delete that message.'
      );
    case 'api_keys_listed':
      return data.keys.length === 0
        ? 'No API keys.'
        : `API keys (${data.keys.length}):\n${data.keys.map(describeApiKey).join('\n')}`;
    case 'api_key_revoked':
      return `API key ${data.key.id} ("${data.key.name}") is revoked: it is refused from now on.`;
    case 'knowledge_found':
      return quotePassages(data.project.name, data.query, data.passages);
    case 'knowledge_not_available':
      return `Project knowledge search is not configured here, so nothing was searched for ${data.project.name}. Say so plainly.`;
    case 'declined':
      return 'The person declined; nothing was done.';
    case 'not_run':
      return NOT_RUN[data.reason];
    case 'interrupted':
      return (
        'This call was interrupted before its result was recorded and is not repeated, to avoid doing it twice. ' +
        'Check its effect before trying again.'
      );
    case 'tool_unavailable':
      return `Tool ${data.tool} is not available here. Use request_capabilities or another tool.`;
    case 'invalid_input':
      return `Invalid input for ${data.tool}: ${data.problems.join('; ')}`;
    case 'failed':
      return data.message;
  }
}

export function describeBudgetSet(data: Extract<ToolResultData, { kind: 'budget_set' }>): string {
  const whose = data.scope === 'person' ? `person ${data.target}` : `project ${data.target}`;
  return `The monthly budget of ${whose} is now $${data.monthlyUsd.toFixed(2)}.`;
}

const NOT_RUN: Record<Extract<ToolResultData, { kind: 'not_run' }>['reason'], string> = {
  new_message: 'Interrupted by a newer message; not done.',
  confirmation_abandoned: 'The person sent a new message instead of confirming; nothing was done.',
  turn_ended: 'The turn ended before this call ran.',
};

/** A transcript block's typed result, when it carries one (older checkpoints may not). */
export function resultData(block: { data?: unknown }): ToolResultData | undefined {
  const data = block.data as { kind?: unknown } | undefined;
  return typeof data?.kind === 'string' ? (data as ToolResultData) : undefined;
}
