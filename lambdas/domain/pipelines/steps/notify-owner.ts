import type { GitHost } from '../../../ports/git-host.ts';
import type { QueueProducer } from '../../../ports/queue.ts';
import type { SecretRequests } from '../../deploys/secret-requests.ts';
import type { ProjectService } from '../../projects/project-service.ts';
import type { PipelineDocuments } from '../documents.ts';
import { type PipelineEvent, pipelineEventBody, pipelineEventDedupId } from '../pipeline-event.ts';
import type { RunRecords } from '../run-records.ts';
import type { RunRef } from './run-ref.ts';

export interface NotifyInput {
  event: 'started' | 'succeeded' | 'failed' | 'given_up' | 'deployed' | 'rolled_back' | 'stopped_at_budget';
  /** Which pipeline tells (default engineering): one function serves both state machines. */
  pipeline?: 'engineering' | 'devops';
  run: RunRef;
  url?: string;
  changes?: string;
  htmlUrl?: string;
  commit?: string;
  attempts?: number;
  /** A Catch's `$.error`: `{ Error, Cause }`. */
  error?: { Error?: string; Cause?: string };
  /** Devops `failed` after a rollback: the release put back (it is on the server, though failing). */
  restored?: string | null;
  /** Devops, after a rollback: the failed release's log tail, secrets already redacted by the deployer. */
  failureLog?: string;
}

/**
 * Puts a pipeline event into the owner's chat (their FIFO group of the updates queue), where the
 * Product Owner tells them in its own words, and records what the event means on the project.
 */
export async function notifyOwnerStep(
  deps: {
    queue: QueueProducer;
    projects: ProjectService;
    runs: RunRecords;
    deploys?: RunRecords;
    secretRequests?: SecretRequests;
    gitHost?: GitHost;
    documents?: PipelineDocuments;
  },
  input: NotifyInput,
): Promise<void> {
  const event: PipelineEvent = {
    kind: input.event,
    pipeline: input.pipeline ?? 'engineering',
    runName: input.run.name,
    projectId: input.run.projectId,
    ownerId: input.run.ownerId,
    chatId: input.run.chatId,
    ...(input.htmlUrl ? { htmlUrl: input.htmlUrl } : {}),
    // A devops failure after a rollback names the release it put back (which fails too).
    ...(input.commit || input.restored ? { commit: input.commit ?? input.restored ?? '' } : {}),
    ...(input.attempts !== undefined ? { attempts: input.attempts } : {}),
    ...(input.error ? { error: describeError(input.error) } : {}),
    ...(input.url ? { url: input.url } : {}),
    ...(input.changes ? { changes: input.changes.slice(0, 500) } : {}),
  };
  if (event.pipeline === 'devops') {
    await recordDeployOutcome(deps, input);
    await deps.queue.send({
      groupId: String(input.run.chatId),
      deduplicationId: pipelineEventDedupId(event),
      body: pipelineEventBody(event),
    });
    return;
  }
  if (input.event === 'succeeded') {
    await deps.projects.markStatus(input.run.projectId, 'ready');
    await deps.runs.update(input.run.projectId, input.run.name, {
      escalationId: undefined,
      outcome: 'succeeded',
      ...(input.commit ? { builtCommit: input.commit } : {}),
    });
    // Protected once built, so later changes arrive as pull requests.
    const record = await deps.runs.get(input.run.projectId, input.run.name);
    if (record?.number === 1)
      await deps.gitHost?.protectDefaultBranch(input.run.projectId).catch(() => false);
  }
  if (input.event === 'failed') await deps.projects.markStatus(input.run.projectId, 'failed');
  await deps.queue.send({
    groupId: String(input.run.chatId),
    deduplicationId: pipelineEventDedupId(event),
    body: pipelineEventBody(event),
  });
}

/**
 * What a deploy's end means for the project: deployed, or back to ready when it failed and nothing
 * was put back (a release put back stays deployed, failing or not, so the health checks go on).
 * The failed release's log tail becomes a document the run's record points at.
 */
async function recordDeployOutcome(
  deps: {
    projects: ProjectService;
    deploys?: RunRecords;
    secretRequests?: SecretRequests;
    documents?: PipelineDocuments;
  },
  input: NotifyInput,
): Promise<void> {
  const { projectId, name } = input.run;
  if (input.event === 'started') await deps.projects.markStatus(projectId, 'deploying');
  if (input.event === 'failed' || input.event === 'rolled_back') {
    // A question the run asked (a secret) is no longer asked: the chat's next message is the person's.
    await deps.secretRequests?.close(input.run.chatId, name);
    const logRef =
      input.failureLog && deps.documents
        ? await deps.documents.put(projectId, 'log', name, 0, input.failureLog.slice(-8_000))
        : undefined;
    await deps.deploys?.update(projectId, name, {
      outcome: input.event === 'failed' ? 'failed' : 'rolled_back',
      ...(logRef ? { logRef } : {}),
    });
    // A failed deploy changes nothing that serves (or restored what did): the project is as built.
    const restored = input.event === 'rolled_back' || typeof input.restored === 'string';
    await deps.projects.markStatus(projectId, restored ? 'deployed' : 'ready');
  }
  if (input.event === 'stopped_at_budget') {
    // Stopped before it touched the server: whatever served before still does.
    await deps.deploys?.update(projectId, name, { outcome: 'stopped' });
    const served = (await deps.deploys?.list(projectId))?.some((d) => d.outcome === 'succeeded');
    await deps.projects.markStatus(projectId, served ? 'deployed' : 'ready');
  }
}

/** The error name and the first line of its cause, short: a cause can be a whole stack. */
function describeError(error: { Error?: string; Cause?: string }): string {
  let cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; message?: string };
    cause = parsed.errorMessage ?? parsed.message ?? cause;
  } catch {
    // Not JSON: a plain cause.
  }
  const firstLine = cause.split('\n')[0]?.slice(0, 300) ?? '';
  return [error.Error ?? 'Error', firstLine].filter(Boolean).join(': ');
}
