import type { ChatMessage, ContentBlock, ToolDefinition } from '../../../ports/language-model.ts';
import { type SecretPlaceholder, secretPlaceholders, storedSecretNote } from './intents.ts';

/**
 * What the offline model remembers of a conversation: nothing but the transcript (and the
 * summary in the system prompt). Project names and ids are taken from tool results, the only
 * place where they are facts rather than something a person typed.
 */

export type ToolUse = Extract<ContentBlock, { type: 'tool_use' }>;
export type ToolResult = Extract<ContentBlock, { type: 'tool_result' }>;

export interface ProjectRef {
  name: string;
  id?: string;
}

export interface TranscriptFacts {
  /** Projects seen, least recently mentioned first. */
  projects: ProjectRef[];
  /** The project "it" means: the latest one a result was about. */
  current?: ProjectRef;
  /** Secrets the person sent that no successful set_project_secret has claimed yet. */
  pendingSecrets: SecretPlaceholder[];
  role?: 'admin' | 'user';
  calls: Map<string, ToolUse>;
}

// describeProject's "name (id x, owner 1): ..." and the summariser's "name (id x)".
const PROJECT_MENTION = /(?:^|[\s:])([a-z0-9][a-z0-9-]{1,38}[a-z0-9]) \(id ([a-z0-9][a-z0-9-]*)[,)]/g;
const SECRET_RESULT =
  /^(?:Secret \S+ stored for|Waiting for the person to send the value of \S+ for) (.+?)\.?$/;
const PROJECT_TOOLS = new Set([
  'get_project',
  'start_engineering',
  'trigger_deploy',
  'run_status',
  'approve_escalation',
]);
const ROLE_LINE = /^The person is Telegram user \d+ \((admin|user)\)/m;
const SUMMARY_HEADER = 'Summary of the earlier conversation:';
// Project ids are the name plus six hex digits (projectIdFor), so a bare id still gives its name.
const ID_SUFFIX = /-[0-9a-f]{6}$/;

export const nameOfId = (id: string): string => id.replace(ID_SUFFIX, '');

/** Every project mention in a tool result or summary, in order. */
export function projectMentions(text: string): ProjectRef[] {
  return [...text.matchAll(PROJECT_MENTION)].map((m) => ({ name: m[1] ?? '', id: m[2] ?? '' }));
}

/** Projects in order of their latest mention, the newest last. */
class ProjectMemory {
  readonly projects: ProjectRef[] = [];
  current: ProjectRef | undefined;

  find(raw: string): ProjectRef | undefined {
    return newestMatch(this.projects, raw);
  }

  /** Records a mention; `makeCurrent` unless it does not single out one project. */
  note(ref: ProjectRef, makeCurrent = true): void {
    const known = this.find(ref.id ?? ref.name);
    const id = ref.id ?? known?.id;
    const merged: ProjectRef = { name: ref.name || known?.name || '', ...(id ? { id } : {}) };
    const same = (p: ProjectRef) => (p.id && id ? p.id === id : p.name === merged.name);
    for (let i = this.projects.length - 1; i >= 0; i--) {
      if (same(this.projects[i] as ProjectRef)) this.projects.splice(i, 1);
    }
    this.projects.push(merged);
    if (makeCurrent) this.current = merged;
  }
}

function newestMatch(projects: ProjectRef[], raw: string): ProjectRef | undefined {
  const wanted = raw.trim().toLowerCase();
  const newestFirst = [...projects].reverse();
  return newestFirst.find((p) => p.id === wanted) ?? newestFirst.find((p) => p.name === wanted);
}

export function readTranscript(system: string, messages: ChatMessage[]): TranscriptFacts {
  const memory = new ProjectMemory();
  const calls = new Map<string, ToolUse>();
  const placeholders: SecretPlaceholder[] = [];
  const claimed = new Set<string>();

  const summaryAt = system.indexOf(SUMMARY_HEADER);
  if (summaryAt >= 0) for (const ref of projectMentions(system.slice(summaryAt))) memory.note(ref);

  for (const message of messages) {
    for (const block of message.content) {
      if (block.type === 'tool_use') calls.set(block.id, block);
      else if (block.type === 'text' && message.role === 'user') {
        placeholders.push(...secretPlaceholders(block.text));
        const stored = storedSecretNote(block.text);
        if (stored) memory.note({ name: nameOfId(stored.projectId), id: stored.projectId });
      } else if (block.type === 'tool_result' && !block.isError) {
        const call = calls.get(block.toolUseId);
        readResult(block.content, call, memory);
        if (call?.name === 'set_project_secret' && typeof call.input.secretRef === 'string') {
          claimed.add(call.input.secretRef);
        }
      }
    }
  }

  const role = ROLE_LINE.exec(system)?.[1] as TranscriptFacts['role'];
  // Each reference once; one that a set_project_secret call stored without error is done.
  const pendingSecrets = placeholders.filter(
    (p, i) => !claimed.has(p.ref) && placeholders.findIndex((q) => q.ref === p.ref) === i,
  );
  return {
    projects: memory.projects,
    ...(memory.current ? { current: memory.current } : {}),
    pendingSecrets,
    ...(role ? { role } : {}),
    calls,
  };
}

/** The projects a successful result is about. */
function readResult(content: string, call: ToolUse | undefined, memory: ProjectMemory): void {
  const mentions = projectMentions(content);
  // A listing of several projects does not say which one "it" is.
  for (const ref of mentions) memory.note(ref, call?.name !== 'list_projects' || mentions.length === 1);
  const secretFor = SECRET_RESULT.exec(content)?.[1];
  if (secretFor) memory.note(memory.find(secretFor) ?? { name: secretFor });
  // Pipeline results do not describe the project; the call's own argument says which it was.
  const project = call?.input.project;
  if (call && PROJECT_TOOLS.has(call.name) && mentions.length === 0 && typeof project === 'string') {
    const known = memory.find(project);
    if (known) memory.note(known);
  }
}

/** The tool argument for a project: its id when known (unique), else what the person typed. */
export const projectArg = (ref: ProjectRef): string => ref.id ?? ref.name;

export function findProject(facts: TranscriptFacts, raw: string): ProjectRef | undefined {
  return newestMatch(facts.projects, raw);
}

/**
 * The known project the text names first (by id, name, or name with spaces: "weather bot").
 * Whole words only, so "weather-bot" inside "weather-bot-1a2b3c" counts as the id, not the name.
 */
export function mentionedProject(facts: TranscriptFacts, lowerText: string): ProjectRef | undefined {
  let best: { ref: ProjectRef; at: number; length: number } | undefined;
  for (const ref of facts.projects) {
    const forms = [ref.id, ref.name, ref.name.replace(/-/g, ' ')].filter((f): f is string => Boolean(f));
    for (const form of forms) {
      const at = wholeWordIndex(lowerText, form);
      if (at < 0) continue;
      if (!best || at < best.at || (at === best.at && form.length > best.length))
        best = { ref, at, length: form.length };
    }
  }
  return best?.ref;
}

function wholeWordIndex(text: string, word: string): number {
  let from = 0;
  for (;;) {
    const at = text.indexOf(word, from);
    if (at < 0) return -1;
    const before = text[at - 1];
    const after = text[at + word.length];
    const boundary = (c: string | undefined) => c === undefined || !/[a-z0-9-]/.test(c);
    if (boundary(before) && boundary(after)) return at;
    from = at + 1;
  }
}

/** The text of the newest user message that has any (the request being worked on). */
export function latestUserText(messages: ChatMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== 'user') continue;
    const texts = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : []));
    if (texts.length > 0) return texts.join('\n');
  }
  return undefined;
}

export function toolUses(message: ChatMessage | undefined): ToolUse[] {
  return message?.role === 'assistant'
    ? message.content.filter((b): b is ToolUse => b.type === 'tool_use')
    : [];
}

export const hasTool = (tools: ToolDefinition[] | undefined, name: string): boolean =>
  tools?.some((t) => t.name === name) ?? false;

/** Whether the tool's `scope` input accepts "all" (list_projects, get_usage). */
export function allowsScopeAll(tools: ToolDefinition[] | undefined, name: string): boolean {
  const properties = tools?.find((t) => t.name === name)?.inputSchema.properties as
    | Record<string, { enum?: unknown[] }>
    | undefined;
  return properties?.scope?.enum?.includes('all') ?? false;
}
