import type { QueueProducer } from '../../../ports/queue.ts';
import { invalid } from '../../errors.ts';
import {
  type PipelineEvent,
  pipelineEventBody,
  pipelineEventDedupId,
} from '../../pipelines/pipeline-event.ts';
import type { RunRef } from '../../pipelines/steps/run-ref.ts';
import { SECRET_KEY } from '../../projects/project.ts';
import type { SecretRequests } from '../secret-requests.ts';

/** As long as the state's TimeoutSeconds: the question and the wait end together. */
export const SECRET_WAIT_SECONDS = 24 * 3600;

/**
 * Asks the owner for one secret and leaves the run waiting: the request (with the task token)
 * is kept per chat, and a `secret_needed` event goes into the owner's chat, where the Product
 * Owner asks in its own words. The person's next message is the value (secret-intake.ts): it is
 * deleted, stored and never echoed, and that resumes the run.
 */
export async function askForSecretStep(
  deps: { requests: SecretRequests; queue: QueueProducer },
  input: { run: RunRef; key: string; taskToken: string },
): Promise<{ asked: string }> {
  if (!SECRET_KEY.test(input.key)) throw invalid(`"${input.key}" is not a secret name`);
  await deps.requests.open({
    chatId: input.run.chatId,
    ownerId: input.run.ownerId,
    projectId: input.run.projectId,
    runName: input.run.name,
    key: input.key,
    taskToken: input.taskToken,
    ttlSeconds: SECRET_WAIT_SECONDS,
  });
  const event: PipelineEvent = {
    kind: 'secret_needed',
    pipeline: 'devops',
    runName: input.run.name,
    projectId: input.run.projectId,
    ownerId: input.run.ownerId,
    chatId: input.run.chatId,
    secretKey: input.key,
  };
  await deps.queue.send({
    groupId: String(input.run.chatId),
    deduplicationId: `${pipelineEventDedupId(event)}-${input.key}`.slice(0, 128),
    body: pipelineEventBody(event),
  });
  return { asked: input.key };
}
