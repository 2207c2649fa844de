import type { ChatChannel } from '../../../ports/chat.ts';
import type { Escalations } from '../escalations.ts';
import type { RunRecords } from '../run-records.ts';
import type { RunRef } from './run-ref.ts';

/** How long the run waits for its owner: the state's TimeoutSeconds says the same. */
export const ESCALATION_TTL_SECONDS = 86_400;

/**
 * Escalation after the third red attempt: the owner gets "Try again" and "Give up" buttons bound
 * to them; the run's task token waits behind a short id until one is pressed (or a day passes).
 */
export async function escalateStep(
  deps: { escalations: Escalations; runs: RunRecords; chat: ChatChannel },
  input: { run: RunRef; attempt: number; reportRef?: string | null; taskToken: string },
): Promise<{ escalationId: string }> {
  const escalation = await deps.escalations.open({
    runName: input.run.name,
    projectId: input.run.projectId,
    ownerId: input.run.ownerId,
    attempt: input.attempt,
    taskToken: input.taskToken,
    ttlSeconds: ESCALATION_TTL_SECONDS,
  });
  await deps.runs.update(input.run.projectId, input.run.name, { escalationId: escalation.id });
  await deps.chat.send(
    input.run.chatId,
    `The build of ${input.run.projectId} is still red after ${input.attempt} attempts. ` +
      'Try again (three more attempts), or give up? Ask me for its run status to see the last test report.',
    [
      [
        { text: 'Try again', data: `esc:${escalation.id}:t` },
        { text: 'Give up', data: `esc:${escalation.id}:g` },
      ],
    ],
  );
  return { escalationId: escalation.id };
}
