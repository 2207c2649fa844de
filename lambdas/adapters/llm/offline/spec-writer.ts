import type { ChatMessage } from '../../../ports/language-model.ts';

/**
 * The analyst's spec without a model: the person's request split into its parts ("a weather bot
 * with daily notifications" -> the bot, daily notifications), one user story and its acceptance
 * criteria for each, in the same Markdown shape a real model is asked for. Deterministic.
 */
export function writeSpec(messages: ChatMessage[]): string {
  // The request is the first text of the first message; what follows it (the project's knowledge on
  // a change request, quoted data) is for a real model to read, not for this one to split.
  const first = messages[0]?.content.find((b) => b.type === 'text');
  const request = (first?.type === 'text' ? first.text : '').replace(/\s+/g, ' ').trim();
  const parts = request
    .replace(/^(please\s+)?(make|build|create|write)( me)?\s+/i, '')
    .split(/\s*(?:,|;|\bwith\b|\band\b|\bthat\b|\bwhich\b)\s*/i)
    .map((p) => p.replace(/^(an?|the)\s+/i, '').trim())
    .filter((p) => p.length > 2)
    .slice(0, 6);
  const title = parts[0] ?? 'project';
  const stories = parts.map((part, i) => [
    `### Story ${i + 1}: ${part}`,
    `As the owner, I want ${i === 0 ? `a ${part}` : part}, so that the service does what I asked for.`,
    '',
    'Acceptance criteria:',
    `- The service exposes ${i === 0 ? 'a health endpoint `GET /health` answering 200' : `an endpoint for "${part}"`}.`,
    '- An automated test checks it on a clean checkout.',
  ]);
  return [
    `# Spec: ${title}`,
    '',
    `Request: ${request}`,
    '',
    '## User stories',
    '',
    ...stories.flatMap((s) => [...s, '']),
    '## Non-functional',
    '- Configuration and secrets come from the environment (env contract); none are committed.',
    '- `npm test` and `npm run lint` pass on a fresh clone.',
  ].join('\n');
}
