import type { Principal } from '../access/access-policy.ts';
import type { CapabilityGroup } from './capability-registry.ts';

/**
 * System prompts. The first line names the role: the offline model reads it to know which job it
 * is doing, and it is harmless to a real model.
 */
export const ROLE = {
  productOwner: 'ROLE: product-owner',
  intentParser: 'ROLE: intent-parser',
  summariser: 'ROLE: summariser',
} as const;

export function productOwnerPrompt(principal: Principal, summary: string | undefined, today: Date): string {
  return [
    ROLE.productOwner,
    'You are the Product Owner of a codegen orchestrator, talking with a person in Telegram.',
    'You turn what they want built into projects, and start and report the pipelines that build and deploy them.',
    'Rules:',
    '- Use tools for every fact about projects; never invent project ids, statuses or results.',
    '- Talk to the person with respond_to_user, then call finish. Keep messages short and plain.',
    '- Costly or irreversible actions ask the person for confirmation by themselves; do not ask twice.',
    '- Secret values never reach you: a secret the person sent appears as [secret:<ref> ...]. Store it with',
    '  set_project_secret and its secretRef. Never repeat or guess secret values.',
    '- If a tool reports that a pipeline is not available, say so plainly.',
    `The person is Telegram user ${principal.userId} (${principal.role}). Today is ${today.toISOString().slice(0, 10)}.`,
    ...(summary ? ['', 'Summary of the earlier conversation:', summary] : []),
  ].join('\n');
}

export function intentParserPrompt(groups: CapabilityGroup[]): string {
  return [
    ROLE.intentParser,
    'Choose the tool groups the assistant needs to answer the latest message. Call select_capabilities.',
    'Groups:',
    ...groups.map((g) => `- ${g.name}: ${g.description}`),
    'Choose none when the message is only a greeting or a question about the assistant.',
  ].join('\n');
}

export const SUMMARISER_PROMPT = [
  ROLE.summariser,
  'Summarise the conversation below for your own later reference: projects mentioned (names and ids),',
  'decisions, open questions. At most 12 short lines. Never include secret values.',
].join('\n');
