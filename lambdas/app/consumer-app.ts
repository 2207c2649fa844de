import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { createConsumerBot } from '../bot/consumer-bot.ts';
import { AccessControl } from '../domain/access/access-control.ts';
import { UserDirectory } from '../domain/access/user-directory.ts';
import { TurnPausedError } from '../domain/agent/turn-runner.ts';
import { ConversationBusyError } from '../domain/conversations/conversation-lease.ts';
import type { ChatSession } from '../domain/sessions/chat-session.ts';
import { SessionRepository } from '../domain/sessions/session-repository.ts';
import { withDeadline } from '../runtime/invocation-deadline.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { botInfoFrom } from '../shared/bot-identity.ts';
import { wireProductOwner } from './product-owner-wiring.ts';

export type ConsumerHandler = (
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<SQSBatchResponse>;

/**
 * Builds the queue consumer: each record is one Telegram update, handled by the consumer bot.
 * Failures are reported per record; a failed record also fails the later records of its chat
 * (FIFO), so one chat's order holds and other chats are not redriven.
 */
export async function buildConsumerApp(runtime: Runtime): Promise<ConsumerHandler> {
  const { config, cachedSecrets, logger } = runtime;
  const token = await cachedSecrets.get(config.secretIds.botToken);
  const directory = new UserDirectory(runtime.store);
  const bot = createConsumerBot({
    token,
    botInfo: botInfoFrom(token, config.botUsername),
    apiRoot: config.telegramApiRoot,
    access: new AccessControl(config.adminIds, directory),
    directory,
    sessions: new SessionRepository<ChatSession>(runtime.store),
    agent: (api) => wireProductOwner(runtime, api, directory),
    logger,
  });

  /** Handles one record; remembers when its chat was busy so the caller can retry the chat soon. */
  const handleRecord = async (record: SQSRecord, busyChats: Map<string, number>): Promise<void> => {
    const update = JSON.parse(record.body) as Update;
    if (typeof update?.update_id !== 'number') throw new Error('queue record is not a Telegram update');
    try {
      await bot.handleUpdate(update);
    } catch (error) {
      const busy = causeOf(error, ConversationBusyError);
      if (busy) {
        logger.info('conversation busy; message kept for later', { updateId: update.update_id });
        busyChats.set(record.attributes.MessageGroupId ?? '', Math.min(busy.retryAfterSeconds, 900) * 1000);
        throw error;
      }
      if (causeOf(error, TurnPausedError)) {
        // Out of time mid-turn: the next invocation goes on from the checkpoint in a moment.
        busyChats.set(record.attributes.MessageGroupId ?? '', 1_000);
        throw error;
      }
      if (isPermanentTelegramRefusal(error)) {
        // The user blocked the bot or the chat is gone: retrying cannot help.
        logger.warn('telegram refused the reply; update dropped', { updateId: update.update_id });
        return;
      }
      logger.error('update failed; it will be retried', { updateId: update.update_id, error: String(error) });
      throw error;
    }
  };

  return async (event, context) => {
    const busyChats = new Map<string, number>();
    const process = () =>
      processPartialResponse(
        event,
        (record: SQSRecord) => handleRecord(record, busyChats),
        new SqsFifoPartialProcessorAsync(),
        { skipGroupOnError: true, throwOnFullBatchFailure: false },
      );
    const response = context
      ? await withDeadline(Date.now() + context.getRemainingTimeInMillis(), process)
      : await process();
    // Another worker holds a chat (or this one paused a turn): its messages stay in the queue, in
    // order, and come back when that lease runs out (or at once) rather than after the full
    // visibility timeout. The chat's
    // later messages in this batch failed with it, and must come back as soon, or they would
    // hold the chat's message group.
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const record of event.Records) {
      const delay = busyChats.get(record.attributes.MessageGroupId ?? '');
      if (delay === undefined || !failed.has(record.messageId)) continue;
      await runtime.queue
        .changeVisibility(record.receiptHandle, delay)
        .catch((error: unknown) => logger.warn('could not shorten visibility', { error: String(error) }));
    }
    return response;
  };
}

/** The error itself or, when grammY wrapped it in a BotError, the error inside, if of this class. */
function causeOf<T>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  const cause = error instanceof Error && 'error' in error ? (error as { error: unknown }).error : error;
  return cause instanceof type ? cause : undefined;
}

function isPermanentTelegramRefusal(error: unknown): boolean {
  const cause = causeOf(error, GrammyError);
  return cause?.error_code === 403 || cause?.error_code === 400;
}
