import type { ChatMessage } from '../../../ports/language-model.ts';
import { storedSecretNote, withoutSecretRefs } from './intents.ts';
import { nameOfId, type ProjectRef, projectMentions } from './transcript.ts';

/**
 * A summary built from facts only: how much was folded away, which projects came up (from tool
 * results, where names and ids are real), and what the person asked for last. Secret
 * references are taken out: a summary is kept longer than the messages it replaces.
 */

interface Entry {
  who: 'person' | 'assistant' | 'call' | 'result';
  text: string;
}

const MAX_PROJECTS = 8;
const MAX_REQUESTS = 3;
const MAX_REQUEST_CHARS = 80;
// renderForSummary's line prefixes, when the conversation arrives as one rendered text.
const RENDERED = /^(Person: |Assistant called |Assistant: |Result: )/;

export function summarise(messages: ChatMessage[]): string {
  const { entries, count } = readEntries(messages);
  const projects: ProjectRef[] = [];
  const note = (ref: ProjectRef) => {
    const index = projects.findIndex((p) => p.id === ref.id);
    if (index >= 0) projects.splice(index, 1);
    projects.push(ref);
  };
  for (const entry of entries) {
    // Results are facts; a person's or assistant's text counts only in a previous summary's line.
    const source =
      entry.who === 'result'
        ? entry.text
        : entry.text
            .split('\n')
            .filter((l) => l.startsWith('Projects:'))
            .join('\n');
    for (const ref of projectMentions(source)) note(ref);
    const stored = entry.who === 'person' ? storedSecretNote(entry.text) : undefined;
    if (stored) note({ name: nameOfId(stored.projectId), id: stored.projectId });
  }
  const requests = entries
    .filter((e) => e.who === 'person')
    .map((e) => clip(sanitise(e.text)))
    .filter(Boolean)
    .slice(-MAX_REQUESTS);
  const shown = projects.slice(-MAX_PROJECTS);
  return [
    `Earlier messages: ${count} (${entries.filter((e) => e.who === 'person').length} from the person).`,
    shown.length > 0
      ? `Projects: ${shown.map((p) => `${p.name} (id ${p.id})`).join(', ')}.`
      : 'Projects: none mentioned.',
    ...(requests.length > 0 ? ['Latest requests:', ...requests.map((r) => `- "${r}"`)] : []),
  ].join('\n');
}

function readEntries(messages: ChatMessage[]): { entries: Entry[]; count: number } {
  const entries: Entry[] = [];
  let rendered = 0;
  for (const message of messages) {
    for (const block of message.content) {
      if (block.type === 'tool_use') entries.push({ who: 'call', text: block.name });
      else if (block.type === 'tool_result') entries.push({ who: 'result', text: block.content });
      else if (message.role === 'user' && block.text.split('\n').some((l) => RENDERED.test(l))) {
        rendered += readRendered(block.text, entries);
      } else entries.push({ who: message.role === 'user' ? 'person' : 'assistant', text: block.text });
    }
  }
  // A rendered text stands for many messages; count its entries instead of the one message.
  return { entries, count: rendered > 0 ? rendered : messages.length };
}

function readRendered(text: string, entries: Entry[]): number {
  let added = 0;
  for (const line of text.split('\n')) {
    const prefix = RENDERED.exec(line)?.[1];
    const rest = prefix ? line.slice(prefix.length) : line;
    if (prefix === 'Person: ') entries.push({ who: 'person', text: rest });
    else if (prefix === 'Assistant: ') entries.push({ who: 'assistant', text: rest });
    else if (prefix === 'Assistant called ') entries.push({ who: 'call', text: rest });
    else if (prefix === 'Result: ') entries.push({ who: 'result', text: rest });
    else {
      // A continuation line of a multi-line text or result (e.g. a project listing).
      const last = entries.at(-1);
      if (last) last.text += `\n${line}`;
      else entries.push({ who: 'assistant', text: line });
      continue;
    }
    added++;
  }
  return added;
}

function sanitise(text: string): string {
  return withoutSecretRefs(text)
    .replace(/\b[0-9a-f]{12,}\b/gi, '[ref]')
    .replace(/\s+/g, ' ')
    .trim();
}

const clip = (text: string): string =>
  text.length <= MAX_REQUEST_CHARS ? text : `${text.slice(0, MAX_REQUEST_CHARS - 1)}…`;
