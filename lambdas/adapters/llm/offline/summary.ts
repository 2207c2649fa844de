import { type ProjectName, resultData } from '../../../domain/agent/tool-results.ts';
import type { SummaryDocument } from '../../../domain/agent/transcript.ts';
import type { ChatMessage } from '../../../ports/language-model.ts';

const MAX_PROJECTS = 8;

/**
 * A summary from facts only: how many messages were folded away and which projects the results
 * named (read from their data). What the person typed is left out: it may hold secret refs, and
 * a summary is kept longer than the messages it replaces.
 */
export function summarise(messages: ChatMessage[]): string {
  const document = readDocument(messages);
  if (!document) return 'Earlier messages: not readable.';
  const projects = new Map<string, ProjectName>();
  for (const entry of document.messages) {
    if (!('result' in entry)) continue;
    for (const project of projectsIn(entry.result)) {
      projects.delete(project.id);
      projects.set(project.id, project);
    }
  }
  const shown = [...projects.values()].slice(-MAX_PROJECTS);
  const fromPerson = document.messages.filter((e) => e.from === 'person').length;
  return [
    `Earlier messages: ${document.messages.length} (${fromPerson} from the person).`,
    shown.length > 0
      ? `Projects: ${shown.map((p) => `${p.name} (id ${p.id})`).join(', ')}.`
      : 'Projects: none mentioned.',
  ].join('\n');
}

function readDocument(messages: ChatMessage[]): SummaryDocument | undefined {
  const block = messages.at(-1)?.content.find((b) => b.type === 'text');
  if (block?.type !== 'text') return undefined;
  try {
    const parsed = JSON.parse(block.text) as Partial<SummaryDocument>;
    return Array.isArray(parsed.messages) ? (parsed as SummaryDocument) : undefined;
  } catch {
    return undefined;
  }
}

function projectsIn(result: unknown): ProjectName[] {
  const data = resultData({ data: result });
  if (!data) return [];
  switch (data.kind) {
    case 'project_created':
    case 'project_shown':
    case 'secret_stored':
    case 'secret_awaited':
    case 'pipeline_not_available':
    case 'no_runs':
    case 'nothing_to_approve':
      return [{ id: data.project.id, name: data.project.name }];
    case 'projects_listed':
      return data.projects.map((p) => ({ id: p.id, name: p.name }));
    default:
      return [];
  }
}
