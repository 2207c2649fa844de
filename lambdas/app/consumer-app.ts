import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type AgentFeatures, createConsumerBot } from '../bot/consumer-bot.ts';
import { AccessControl } from '../domain/access/access-control.ts';
import { UserDirectory } from '../domain/access/user-directory.ts';
import { pipelineEventDedupId } from '../domain/pipelines/pipeline-event.ts';
import { Reminders } from '../domain/reminders/reminders.ts';
import type { ChatSession } from '../domain/sessions/chat-session.ts';
import { SessionRepository } from '../domain/sessions/session-repository.ts';
import { UpdateDeduplicator } from '../domain/updates/update-deduplicator.ts';
import { withDeadline } from '../runtime/invocation-deadline.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { botInfoFrom } from '../shared/bot-identity.ts';
import { wireProductOwner } from './product-owner-wiring.ts';
import { type RecordOutcome, UpdateProcessor } from './update-processor.ts';

export type ConsumerHandler = (
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<SQSBatchResponse>;

/**
 * Builds the queue consumer: each record is one Telegram update. A record's outcome is typed
 * (done, or retry after a delay); a record to retry is reported as a batch item failure with its
 * visibility set to that delay, and the chat's later records in the batch wait behind it (FIFO),
 * while other chats go on. Deployed, batches hold one record; the local poller does the same.
 */
export async function buildConsumerApp(runtime: Runtime): Promise<ConsumerHandler> {
  const { config, cachedSecrets, logger } = runtime;
  if (!runtime.deadLetters) {
    // Fail closed at start rather than lose the first update the consumer gives up on.
    throw new Error('The consumer needs a dead-letter queue (DEAD_LETTER_QUEUE_URL) to give up on an update');
  }
  const token = await cachedSecrets.get(config.secretIds.botToken);
  const botInfo = botInfoFrom(token, config.botUsername);
  const directory = new UserDirectory(runtime.store);
  const access = new AccessControl(config.adminIds, directory);
  let agent: AgentFeatures | undefined;
  const bot = createConsumerBot({
    token,
    botInfo,
    apiRoot: config.telegramApiRoot,
    access,
    directory,
    sessions: new SessionRepository<ChatSession>(runtime.store),
    agent: (api) => {
      agent = wireProductOwner(runtime, api, directory);
      return agent;
    },
    logger,
    telemetry: runtime.telemetry,
  });
  const processor = new UpdateProcessor({
    handle: (update) => bot.handleUpdate(update),
    handleEvent: async (event) => {
      // The owner may have lost access since the run started: then nobody is told.
      const owner = await access.principalOf(event.ownerId);
      if (!owner || !agent) return;
      await agent.productOwner.handleMessage(owner, event.chatId, pipelineEventDedupId(event), {
        events: [{ kind: 'pipeline_event', event }],
      });
    },
    handleReminder: async (event) => {
      const reminders = runtime.scheduler ? new Reminders(runtime.store, runtime.scheduler) : undefined;
      // Cancelled since it was scheduled (or delivered already): nothing to tell.
      const reminder = await reminders?.arrived(event);
      const owner = reminder ? await access.principalOf(reminder.ownerId) : undefined;
      if (!reminder || !owner || !agent) return;
      await agent.productOwner.handleMessage(owner, reminder.chatId, `reminder-${reminder.id}`, {
        events: [{ kind: 'reminder', id: reminder.id, text: reminder.text }],
      });
      await reminders?.markDelivered(reminder);
    },
    claims: new UpdateDeduplicator(runtime.store, botInfo.id, config.dedupTtlSeconds),
    deadLetters: runtime.deadLetters,
    tell: async (chatId, text) => {
      await bot.api.sendMessage(chatId, text).catch((error: unknown) => {
        logger.warn('could not tell the person about a failed update', { error: String(error) });
      });
    },
    retry: config.updateRetry,
    logger,
    telemetry: runtime.telemetry,
  });

  const handleRecord = async (record: SQSRecord): Promise<RecordOutcome> => {
    logger.appendKeys({ messageId: record.messageId, chatId: record.attributes.MessageGroupId });
    try {
      return await processor.process({
        messageId: record.messageId,
        groupId: record.attributes.MessageGroupId ?? '',
        body: record.body,
      });
    } finally {
      logger.removeKeys(['messageId', 'chatId', 'updateId', 'runName']);
    }
  };

  const handleBatch = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    const heldGroups = new Map<string, number>();
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId ?? '';
      const held = heldGroups.get(group);
      // A chat's later messages wait for its earlier one, and come back with it.
      const outcome: RecordOutcome =
        held === undefined ? await handleRecord(record) : { kind: 'retry', afterMs: held };
      if (outcome.kind === 'done') continue;
      heldGroups.set(group, outcome.afterMs);
      failures.push({ itemIdentifier: record.messageId });
      await runtime.queue.changeVisibility(record.receiptHandle, outcome.afterMs).catch((error: unknown) => {
        // The message still comes back, after the queue's visibility timeout instead.
        logger.warn('could not set the retry delay', { error: String(error) });
      });
    }
    return { batchItemFailures: failures };
  };

  return (event, context) =>
    context
      ? withDeadline(Date.now() + context.getRemainingTimeInMillis(), () => handleBatch(event))
      : handleBatch(event);
}
