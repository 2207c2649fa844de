import * as z from 'zod';

/**
 * What a pipeline run tells its owner, unasked: it travels through the updates queue in the owner's
 * chat's message group (so it is ordered with their messages), and the consumer hands it to the
 * Product Owner, which tells the person in its own words and keeps it in the conversation.
 */
export const pipelineEventSchema = z.object({
  kind: z.enum([
    'started',
    'succeeded',
    'failed',
    'given_up',
    'waiting',
    'secret_needed',
    'deployed',
    'rolled_back',
    // Devops, from the health-check job: the deployed service stopped answering, or answers again.
    'unhealthy',
    'recovered',
    'stopped_at_budget',
  ]),
  pipeline: z.enum(['engineering', 'devops']),
  runName: z.string().min(1).max(80),
  projectId: z.string().min(1).max(80),
  ownerId: z.number().int().positive(),
  chatId: z.number().int(),
  htmlUrl: z.string().optional(),
  commit: z.string().optional(),
  attempts: z.number().int().optional(),
  /** A short, safe description of what failed (an error name and a cause), never a payload. */
  error: z.string().max(500).optional(),
  /** Devops: the secret (its name) the run waits for. */
  secretKey: z.string().max(64).optional(),
  /** Devops: where the service answers. */
  url: z.string().max(300).optional(),
  /** Devops: what the release changed, short. */
  changes: z.string().max(500).optional(),
  /** Health events: which transition of the service this is (1, 2, ...), so each is told once. */
  sequence: z.number().int().positive().optional(),
});

export type PipelineEvent = z.infer<typeof pipelineEventSchema>;

/** The queue body of a pipeline event: apart from a Telegram update, which has `update_id`. */
export interface PipelineEventBody {
  pipelineEvent: PipelineEvent;
}

export function pipelineEventBody(event: PipelineEvent): string {
  return JSON.stringify({ pipelineEvent: event } satisfies PipelineEventBody);
}

/** The deduplication id: one event of a kind per run and attempt. */
export function pipelineEventDedupId(event: PipelineEvent): string {
  const sequence = event.sequence === undefined ? '' : `-${event.sequence}`;
  return `run-${event.runName}-${event.kind}-${event.attempts ?? 0}${sequence}`.slice(0, 128);
}

export function parsePipelineEventBody(body: unknown): PipelineEvent | undefined {
  if (typeof body !== 'object' || body === null || !('pipelineEvent' in body)) return undefined;
  const parsed = pipelineEventSchema.safeParse((body as PipelineEventBody).pipelineEvent);
  return parsed.success ? parsed.data : undefined;
}
