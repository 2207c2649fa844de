import { resultData } from '../../../domain/agent/tool-results.ts';
import type { ChatMessage, CompletionRequest, ToolDefinition } from '../../../ports/language-model.ts';
import {
  type Command,
  GROUPS_FOR,
  parseCommand,
  projectNamedWith,
  THIS_PROJECT,
  withoutSecretMarks,
} from './commands.ts';
import {
  HELP,
  NOTHING_PENDING,
  PASTE_KEY_FIRST,
  PASTE_TOKEN_FIRST,
  reportEvent,
  reportResult,
  USE_THE_BUTTONS,
  unavailable,
} from './replies.ts';
import {
  hasTool,
  latestPersonMessage,
  latestProjectIn,
  toolUses,
  unclaimedSecretOf,
  unclaimedSecrets,
} from './transcript-data.ts';

/**
 * The Product Owner's next step without a model: after results come back, report them (from
 * their data) and then finish; otherwise turn the person's command, or the system's event, into
 * tool calls. Confirmations are the loop's business, not this one's.
 */

export interface PlannedCall {
  name: string;
  input: Record<string, unknown>;
}

/** Tool calls to make, or something to tell the person (via respond_to_user when available). */
export type Decision = { kind: 'calls'; calls: PlannedCall[] } | { kind: 'say'; text: string };

const call = (name: string, input: Record<string, unknown> = {}): Decision => ({
  kind: 'calls',
  calls: [{ name, input }],
});
const say = (text: string): Decision => ({ kind: 'say', text });
const FINISH = call('finish');

// The tool each command calls, and the group (capabilities.ts) that brings it.
const TOOL_GROUP: Readonly<Record<string, string>> = {
  create_project: 'projects',
  list_projects: 'projects',
  get_project: 'projects',
  set_project_secret: 'projects',
  delete_project: 'projects',
  start_engineering: 'engineering',
  run_status: 'engineering',
  approve_escalation: 'engineering',
  trigger_deploy: 'deploy',
  get_usage: 'usage',
  list_users: 'admin',
  list_servers: 'admin',
  add_server: 'admin',
  remove_server: 'admin',
  add_pool_bot: 'admin',
  list_bot_pool: 'admin',
  remove_pool_bot: 'admin',
  set_budget: 'admin',
  set_reminder: 'reminders',
  list_reminders: 'reminders',
  cancel_reminder: 'reminders',
  create_api_key: 'admin',
  list_api_keys: 'admin',
  rotate_api_key: 'admin',
  revoke_api_key: 'admin',
  search_knowledge: 'knowledge',
};

export function decideAgentStep(request: CompletionRequest): Decision {
  const { messages } = request;
  const last = messages.at(-1);
  if (last?.role !== 'user') return say(HELP);
  const fromPerson = last.content.some((b) => b.type === 'text' || b.type === 'system_note');
  // New words from the person win over results still coming back for an earlier step.
  if (!fromPerson && last.content.some((b) => b.type === 'tool_result')) return afterResults(request, last);
  return fromMessage(request, false);
}

function afterResults(request: CompletionRequest, last: ChatMessage): Decision {
  const previous = toolUses(request.messages.at(-2));
  if (previous.some((c) => c.name === 'respond_to_user' || c.name === 'finish')) return FINISH;
  // The loop has added the groups asked for: act on the person's message again, with the new tools.
  if (previous.some((c) => c.name === 'request_capabilities')) return fromMessage(request, true);
  const lines = last.content.flatMap((b) => {
    if (b.type !== 'tool_result') return [];
    const data = resultData(b);
    const line = data ? reportResult(data, b.content) : b.content;
    return line ? [line] : [];
  });
  return lines.length > 0 ? say(lines.join('\n')) : FINISH;
}

function fromMessage(request: CompletionRequest, askedForTools: boolean): Decision {
  const { text, events } = latestPersonMessage(request.messages);
  const stored = events.find(
    (e) => e.kind === 'secret_stored' || e.kind === 'pipeline_event' || e.kind === 'reminder',
  );
  if (stored) return say(reportEvent(stored));
  const withheld = events.find((e) => e.kind === 'secrets_withheld');
  if (withheld) {
    // "add server ... user ..." with the key pasted in the same message: the command claims it.
    const command = parseCommand(withoutSecretMarks(text));
    if (command.kind === 'add_server' || command.kind === 'add_pool_bot') {
      return ensureAvailable(plan(command, request), request.tools, askedForTools);
    }
    // Kept until the person names the project: a secret stored under the wrong one is a leak.
    const project = projectNamedWith(text);
    if (!project) return say(reportEvent(withheld));
    return ensureAvailable(storeSecrets(project, withheld.secrets), request.tools, askedForTools);
  }
  const command = resolveThisProject(parseCommand(text), request);
  return ensureAvailable(plan(command, request), request.tools, askedForTools);
}

/** "deploy it": the project the conversation is about, when the transcript's data names one. */
function resolveThisProject(command: Command, request: CompletionRequest): Command {
  if (!('project' in command) || !THIS_PROJECT.has(command.project?.toLowerCase() ?? '')) return command;
  const project = latestProjectIn(request.messages);
  return project ? { ...command, project } : command;
}

function storeSecrets(project: string, secrets: Array<{ ref: string; kind: string }>): Decision {
  if (secrets.length === 0) return say(NOTHING_PENDING);
  return {
    kind: 'calls',
    calls: secrets.map((s) => ({
      name: 'set_project_secret',
      input: { project, key: s.kind, secretRef: s.ref },
    })),
  };
}

function plan(command: Command, request: CompletionRequest): Decision {
  const scope = (all: boolean) => (all ? { scope: 'all' } : {});
  switch (command.kind) {
    case 'create':
      return call('create_project', { name: command.name, description: command.description });
    case 'list_projects':
      return call('list_projects', scope(command.all));
    case 'status':
      return call('get_project', { project: command.project });
    case 'build':
      return call('start_engineering', {
        project: command.project,
        ...(command.deployAfter ? { deployAfter: true } : {}),
      });
    case 'deploy':
      return call('trigger_deploy', { project: command.project });
    case 'run_status':
      return call('run_status', { project: command.project });
    case 'approve':
      return call('approve_escalation', { project: command.project });
    case 'set_secret':
      return call('set_project_secret', { project: command.project, key: command.key });
    case 'store_secrets':
      return storeSecrets(command.project, unclaimedSecrets(request.messages));
    case 'usage':
      return call('get_usage', scope(command.all));
    case 'list_users':
      return call('list_users');
    case 'list_servers':
      return call('list_servers');
    // Without a pasted secret there is nothing to add; but whether the person may use the tool
    // at all is told first (ensureAvailable), so a user is not asked for a key in vain.
    case 'add_server': {
      const secretRef = unclaimedSecretOf(request.messages, 'PRIVATE_KEY');
      if (!secretRef && hasTool(request.tools, 'add_server')) return say(PASTE_KEY_FIRST);
      const { kind: _kind, ...server } = command;
      return call('add_server', { ...server, secretRef: secretRef ?? '' });
    }
    case 'remove_server':
      return call('remove_server', { server: command.server });
    case 'add_pool_bot': {
      const secretRef = unclaimedSecretOf(request.messages, 'TELEGRAM_BOT_TOKEN');
      if (!secretRef && hasTool(request.tools, 'add_pool_bot')) return say(PASTE_TOKEN_FIRST);
      return call('add_pool_bot', { secretRef: secretRef ?? '' });
    }
    case 'bot_pool':
      return call('list_bot_pool');
    case 'remove_pool_bot':
      return call('remove_pool_bot', { bot: command.bot });
    case 'create_api_key':
      return call('create_api_key', {
        name: command.name,
        ...(command.ownerId ? { ownerId: command.ownerId } : {}),
      });
    case 'list_api_keys':
      return call('list_api_keys');
    case 'rotate_api_key':
      return call('rotate_api_key', { key: command.key });
    case 'revoke_api_key':
      return call('revoke_api_key', { key: command.key });
    case 'delete':
      return call('delete_project', { project: command.project });
    case 'set_budget': {
      const { kind: _kind, usd, ...target } = command;
      return call('set_budget', { ...target, monthlyUsd: usd });
    }
    case 'remind':
      return call('set_reminder', { text: command.text, inSeconds: command.inSeconds });
    case 'list_reminders':
      return call('list_reminders');
    case 'cancel_reminder':
      return call('cancel_reminder', { id: command.id });
    case 'search':
      return call('search_knowledge', { project: command.project, query: command.query });
    case 'answer':
      return say(USE_THE_BUTTONS);
    case 'help':
      return say(HELP);
  }
}

/**
 * A call to a tool this request does not carry becomes a request for its group; if the group
 * was asked for already and is still missing (an admin group for a user), the person is told.
 */
function ensureAvailable(
  decision: Decision,
  tools: ToolDefinition[] | undefined,
  askedForTools: boolean,
): Decision {
  if (decision.kind === 'say') return decision;
  const missing = decision.calls.filter((c) => !hasTool(tools, c.name));
  if (missing.length === 0) return decision;
  const groups = [...new Set(missing.map((c) => TOOL_GROUP[c.name] ?? 'projects'))];
  if (askedForTools || !hasTool(tools, 'request_capabilities')) return say(unavailable(groups));
  return call('request_capabilities', { groups, reason: `to use ${missing.map((c) => c.name).join(', ')}` });
}

/** The groups the intent parser picks for the person's latest message. */
export function groupsForMessage(messages: ChatMessage[], offered: readonly string[]): string[] {
  const { text, events } = latestPersonMessage(messages);
  const wanted = new Set<string>();
  if (events.some((e) => e.kind === 'secrets_withheld')) wanted.add('projects');
  // A command typed with a pasted secret ("add server ...", the key below it) needs its tools too.
  if (events.every((e) => e.kind === 'secrets_withheld')) {
    for (const group of GROUPS_FOR[parseCommand(withoutSecretMarks(text)).kind]) wanted.add(group);
  }
  return offered.filter((g) => wanted.has(g));
}
