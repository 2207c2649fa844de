import type { Update } from 'grammy/types';
import { MESSAGES } from '../bot/messages.ts';
import { type PipelineEvent, parsePipelineEventBody } from '../domain/pipelines/pipeline-event.ts';
import { parseReminderBody, type ReminderEvent } from '../domain/reminders/reminders.ts';
import type { UpdateDeduplicator } from '../domain/updates/update-deduplicator.ts';
import { parseUpdate } from '../domain/updates/update-envelope.ts';
import type { QueueProducer } from '../ports/queue.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import type { Logger } from '../shared/logger.ts';
import { classifyFailure, unwrap } from './update-failure.ts';

/** A queued update, as the event source hands it over. */
export interface QueuedUpdate {
  messageId: string;
  /** The chat id: the webhook queues each chat as one FIFO group. */
  groupId: string;
  body: string;
}

/**
 * What to do with the queue message once an attempt is over:
 * - `done`: delete it (answered, a duplicate, dropped for good, or moved to the dead letters);
 * - `retry`: leave it, visible again after `afterMs`, with the chat's later messages behind it.
 */
export type RecordOutcome =
  | { kind: 'done'; how: 'answered' | 'duplicate' | 'dropped' | 'dead-lettered' }
  | { kind: 'retry'; afterMs: number };

export interface RetryPolicy {
  /** Failed attempts after which the update goes to the dead letters and the person is told. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface UpdateProcessorDeps {
  /** Answers the update (the consumer bot). */
  handle: (update: Update) => Promise<void>;
  /** Hands a pipeline event to the owner's conversation (the Product Owner). */
  handleEvent: (event: PipelineEvent) => Promise<void>;
  /** Hands a reminder that came due to its person's conversation. */
  handleReminder?: (reminder: ReminderEvent) => Promise<void>;
  claims: UpdateDeduplicator;
  deadLetters: QueueProducer;
  /** Tells the person in this chat something went wrong; failures to tell are swallowed. */
  tell: (chatId: number, text: string) => Promise<void>;
  retry: RetryPolicy;
  logger: Logger;
  telemetry: Telemetry;
  random?: () => number;
}

/**
 * Takes one queued update through claim, answer and, when that fails, the decision between a
 * quick look again (busy chat), a retry with growing jittered delays (an outage), telling the
 * person and dropping it (a failure that would repeat), and giving up into the dead letters.
 * A chat is never parked behind a message that cannot succeed.
 */
export class UpdateProcessor {
  private readonly random: () => number;

  constructor(private readonly deps: UpdateProcessorDeps) {
    this.random = deps.random ?? Math.random;
  }

  async process(message: QueuedUpdate): Promise<RecordOutcome> {
    const event = pipelineEventIn(message.body);
    if (event) {
      this.deps.logger.appendKeys({ runName: event.runName });
      return this.processEvent(() => this.deps.handleEvent(event));
    }
    const reminder = parseReminderBody(message.body);
    if (reminder) {
      const { handleReminder } = this.deps;
      if (!handleReminder) return this.deadLetter(message, 'a reminder, and no reminders here');
      return this.processEvent(() => handleReminder(reminder));
    }
    const parsed = parseUpdate(message.body);
    if (!parsed.ok) {
      // Only a message put on the queue by something other than our webhook gets here.
      return this.deadLetter(message, `not an update: ${parsed.reason}`);
    }
    const update = parsed.update as unknown as Update;
    const updateId = update.update_id;
    // Every log line of this record, the agent's included, says which update it is about.
    this.deps.logger.appendKeys({ updateId });
    const claim = await this.deps.claims.claim(updateId, message.messageId);
    if (claim === 'duplicate') {
      this.deps.logger.info('duplicate update dropped', { updateId });
      this.deps.telemetry.count('UpdateDuplicate');
      return { kind: 'done', how: 'duplicate' };
    }
    try {
      await this.deps.handle(update);
    } catch (error) {
      return this.failed(message, updateId, error);
    }
    await this.deps.claims.finish(updateId);
    return { kind: 'done', how: 'answered' };
  }

  /**
   * News for a person from the system (a pipeline run's, a reminder), queued in their chat's group.
   * Delivered once by the queue's dedup id; a redelivery after a crash is recognised by the Product
   * Owner (same request id).
   */
  private async processEvent(deliver: () => Promise<void>): Promise<RecordOutcome> {
    try {
      await deliver();
      return { kind: 'done', how: 'answered' };
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'bounce') return { kind: 'retry', afterMs: failure.afterMs };
      if (failure.kind === 'transient') {
        this.deps.telemetry.count('UpdateRetried');
        return { kind: 'retry', afterMs: this.backoffMs(1) };
      }
      this.deps.logger.error('pipeline event not delivered', { reason: String(error) });
      this.deps.telemetry.count('UpdateFailedPermanently');
      return { kind: 'done', how: 'dropped' };
    }
  }

  private async failed(message: QueuedUpdate, updateId: number, error: unknown): Promise<RecordOutcome> {
    const failure = classifyFailure(error);
    const { logger, telemetry } = this.deps;
    switch (failure.kind) {
      case 'bounce':
        logger.info('update put back: chat busy or turn paused', { updateId, afterMs: failure.afterMs });
        return { kind: 'retry', afterMs: failure.afterMs };
      case 'unreachable':
        logger.warn('telegram refuses this chat; update dropped', { updateId });
        await this.deps.claims.finish(updateId);
        return { kind: 'done', how: 'dropped' };
      case 'permanent':
        logger.error('update failed for good; dropped', {
          updateId,
          reason: failure.reason,
          error: describe(error),
        });
        telemetry.count('UpdateFailedPermanently');
        if (failure.personMessage) await this.deps.tell(Number(message.groupId), failure.personMessage);
        await this.deps.claims.finish(updateId);
        return { kind: 'done', how: 'dropped' };
      case 'transient': {
        const attempts = await this.deps.claims.recordFailure(updateId);
        if (attempts >= this.deps.retry.maxAttempts) {
          await this.deps.tell(Number(message.groupId), MESSAGES.gaveUp(attempts));
          const outcome = await this.deadLetter(
            message,
            `${attempts} failed attempts, last: ${failure.reason}`,
          );
          // Unanswered: an operator's redrive of it must be handled, not dropped as a duplicate.
          await this.deps.claims.release(updateId);
          return outcome;
        }
        const afterMs = Math.max(this.backoffMs(attempts), failure.notBeforeMs ?? 0);
        logger.warn('update failed; retrying', { updateId, attempts, afterMs, error: describe(error) });
        telemetry.count('UpdateRetried');
        return { kind: 'retry', afterMs };
      }
    }
  }

  private async deadLetter(message: QueuedUpdate, reason: string): Promise<RecordOutcome> {
    await this.deps.deadLetters.send({
      groupId: message.groupId,
      deduplicationId: `dead-${message.messageId}`,
      body: message.body,
    });
    this.deps.logger.error('update moved to the dead-letter queue', { messageId: message.messageId, reason });
    this.deps.telemetry.count('UpdateDeadLettered');
    return { kind: 'done', how: 'dead-lettered' };
  }

  /** Exponential with "equal jitter": half the delay fixed, half random, so retries spread out. */
  private backoffMs(attempts: number): number {
    const { baseDelayMs, maxDelayMs } = this.deps.retry;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }
}

/** An error's class and message for the log; a message never holds the person's text here. */
function describe(error: unknown): string {
  const inner = unwrap(error);
  return inner instanceof Error ? `${inner.name}: ${inner.message}` : String(inner);
}

/** A queue body that is a pipeline event, not a Telegram update (which has `update_id`). */
function pipelineEventIn(body: string): PipelineEvent | undefined {
  if (!body.startsWith('{"pipelineEvent"')) return undefined;
  try {
    return parsePipelineEventBody(JSON.parse(body));
  } catch {
    return undefined;
  }
}
