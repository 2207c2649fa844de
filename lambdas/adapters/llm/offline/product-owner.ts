import type { ChatMessage, CompletionRequest, ToolDefinition } from '../../../ports/language-model.ts';
import { classify, type Intent, normalise } from './intents.ts';
import {
  ASK_SECRET_KEY,
  askProject,
  askSecretProject,
  helpText,
  pendingSecretHint,
  reportResult,
  storedNote,
  unavailable,
} from './replies.ts';
import {
  allowsScopeAll,
  findProject,
  hasTool,
  latestUserText,
  mentionedProject,
  nameOfId,
  projectArg,
  projectMentions,
  readTranscript,
  type ToolResult,
  type TranscriptFacts,
  toolUses,
} from './transcript.ts';

/**
 * The Product Owner's next step, decided from the transcript alone: report the results that
 * just came back, end the turn after answering, or turn the person's latest text into one tool
 * call. It never asks for confirmation itself: the loop does that for costly tools.
 */

export interface PlannedCall {
  name: string;
  input: Record<string, unknown>;
}

/** Tool calls to make, or something to tell the person (via respond_to_user when available). */
export type Decision = { kind: 'calls'; calls: PlannedCall[] } | { kind: 'say'; text: string };

// Which capability group brings which tool, to ask for the right group when a tool is missing.
// run_status is in both engineering and deploy; engineering is asked for.
export const TOOL_GROUPS: Readonly<Record<string, string>> = {
  create_project: 'projects',
  list_projects: 'projects',
  get_project: 'projects',
  set_project_secret: 'projects',
  start_engineering: 'engineering',
  run_status: 'engineering',
  approve_escalation: 'engineering',
  trigger_deploy: 'deploy',
  get_usage: 'usage',
  list_users: 'admin',
  list_servers: 'admin',
};

const call = (name: string, input: Record<string, unknown> = {}): Decision => ({
  kind: 'calls',
  calls: [{ name, input }],
});
const say = (text: string): Decision => ({ kind: 'say', text });
const FINISH: Decision = call('finish');

export function decideProductOwnerStep(request: CompletionRequest): Decision {
  const { messages } = request;
  const facts = readTranscript(request.system, messages);
  const last = messages.at(-1);
  if (last?.role !== 'user') return say(helpText({ admin: facts.role === 'admin' }));
  const hasText = last.content.some((b) => b.type === 'text');
  // New text from the person wins over results still coming back for an earlier step.
  if (!hasText && last.content.some((b) => b.type === 'tool_result'))
    return afterResults(request, facts, last);
  return fromText(latestUserText(messages) ?? '', request, facts, false);
}

function afterResults(request: CompletionRequest, facts: TranscriptFacts, last: ChatMessage): Decision {
  const previous = toolUses(request.messages.at(-2));
  if (previous.some((c) => c.name === 'respond_to_user' || c.name === 'finish')) return FINISH;
  // The loop has added the groups asked for: act on the person's request again, with the new tools.
  if (previous.some((c) => c.name === 'request_capabilities')) {
    return fromText(latestUserText(request.messages) ?? '', request, facts, true);
  }
  const results = last.content.filter((b): b is ToolResult => b.type === 'tool_result');
  const lines = results.map((r) => reportResult(r.content, r.isError ?? false));
  // A secret sent with "make me a ..." waits for the project; say how to store it now.
  const created = results.find((r) => !r.isError && r.content.startsWith('Project created:'));
  const name = created ? projectMentions(created.content)[0]?.name : undefined;
  if (name && facts.pendingSecrets.length > 0) lines.push(pendingSecretHint(name));
  return say(lines.join('\n'));
}

function fromText(
  text: string,
  request: CompletionRequest,
  facts: TranscriptFacts,
  askedForTools: boolean,
): Decision {
  const mentioned = mentionedProject(facts, normalise(text));
  const intent = classify(text, { mentionsProject: mentioned !== undefined });
  // Explicitly named known project, else what the person typed, else the latest project ("it").
  const project = (target?: string): string | undefined => {
    if (mentioned) return projectArg(mentioned);
    if (target) return projectArg(findProject(facts, target) ?? { name: target });
    return facts.current ? projectArg(facts.current) : undefined;
  };
  return ensureAvailable(plan(intent, facts, request.tools, project), request.tools, askedForTools);
}

function plan(
  intent: Intent,
  facts: TranscriptFacts,
  tools: ToolDefinition[] | undefined,
  project: (target?: string) => string | undefined,
): Decision {
  // An unknown role (no prompt line) is left to the tools, which enforce it anyway.
  const scope = (all: boolean, tool: string) =>
    all && facts.role !== 'user' && allowsScopeAll(tools, tool) ? { scope: 'all' } : {};
  const onProject = (tool: string, target: string | undefined, example: string): Decision => {
    const ref = project(target);
    return ref ? call(tool, { project: ref }) : say(askProject(example));
  };
  const storePending = (ref: string): Decision => ({
    kind: 'calls',
    calls: facts.pendingSecrets.map((p) => ({
      name: 'set_project_secret',
      input: { project: ref, key: p.kind, secretRef: p.ref },
    })),
  });

  switch (intent.kind) {
    case 'secret_ref': {
      // "make me a bot, here is its token [secret:...]": the project comes first; the secret waits.
      const ref = intent.create && !intent.target ? undefined : project(intent.target);
      if (!ref && intent.create)
        return call('create_project', { name: intent.create.name, description: intent.create.description });
      if (!ref) return say(askSecretProject(intent.placeholders.map((p) => p.kind)));
      return {
        kind: 'calls',
        calls: intent.placeholders.map((p) => ({
          name: 'set_project_secret',
          input: { project: ref, key: intent.key ?? p.kind, secretRef: p.ref },
        })),
      };
    }
    case 'secret_stored': {
      const name = findProject(facts, intent.projectId)?.name ?? nameOfId(intent.projectId);
      return say(storedNote(intent.key, name));
    }
    case 'usage':
      return call('get_usage', scope(intent.all, 'get_usage'));
    case 'list_users':
      return call('list_users');
    case 'list_servers':
      return call('list_servers');
    case 'approve':
      return onProject('approve_escalation', intent.target, 'approve weather-bot');
    case 'run_status':
      return onProject('run_status', intent.target, 'build status of weather-bot');
    case 'deploy':
      return onProject('trigger_deploy', intent.target, 'deploy weather-bot');
    case 'engineering':
      return onProject('start_engineering', intent.target, 'build weather-bot');
    case 'set_secret': {
      if (!intent.key) return say(ASK_SECRET_KEY);
      const ref = project(intent.target);
      if (!ref) return say(askProject(`set secret ${intent.key} for weather-bot`));
      return call('set_project_secret', { project: ref, key: intent.key });
    }
    case 'list_projects':
      return call('list_projects', scope(intent.all, 'list_projects'));
    case 'assign': {
      const ref = project(intent.target) ?? intent.target;
      return facts.pendingSecrets.length > 0 ? storePending(ref) : call('get_project', { project: ref });
    }
    case 'status': {
      const ref = project(intent.target);
      if (ref && intent.bare && facts.pendingSecrets.length > 0) return storePending(ref);
      return ref ? call('get_project', { project: ref }) : call('list_projects');
    }
    case 'create':
      return call('create_project', { name: intent.name, description: intent.description });
    case 'greeting':
      return say(helpText({ greeting: true, admin: facts.role === 'admin' }));
    case 'help':
      return say(helpText({ admin: facts.role === 'admin' }));
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
  const groups = [...new Set(missing.map((c) => TOOL_GROUPS[c.name] ?? 'projects'))];
  if (askedForTools || !hasTool(tools, 'request_capabilities')) return say(unavailable(groups.join(' and ')));
  return call('request_capabilities', { groups, reason: `to use ${missing.map((c) => c.name).join(', ')}` });
}
