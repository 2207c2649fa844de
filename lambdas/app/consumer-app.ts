import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { createConsumerBot } from '../bot/consumer-bot.ts';
import { AccessControl } from '../domain/access/access-control.ts';
import { UserDirectory } from '../domain/access/user-directory.ts';
import { ConversationBusyError } from '../domain/conversations/conversation-lease.ts';
import type { ChatSession } from '../domain/sessions/chat-session.ts';
import { SessionRepository } from '../domain/sessions/session-repository.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { botInfoFrom } from '../shared/bot-identity.ts';
import { wireProductOwner } from './product-owner-wiring.ts';

export type ConsumerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

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

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const update = JSON.parse(record.body) as Update;
    if (typeof update?.update_id !== 'number') throw new Error('queue record is not a Telegram update');
    try {
      await bot.handleUpdate(update);
    } catch (error) {
      const busy = busyConversation(error);
      if (busy) {
        // Another worker holds this chat: leave the message in the queue (it stays first in its
        // chat's order) and look again when that worker's lease runs out, not after the full
        // visibility timeout.
        logger.info('conversation busy; message kept for later', { updateId: update.update_id });
        await runtime.queue
          .changeVisibility(record.receiptHandle, Math.min(busy.retryAfterSeconds, 900) * 1000)
          .catch((visibilityError: unknown) =>
            logger.warn('could not shorten visibility', { error: String(visibilityError) }),
          );
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

  return (event) =>
    processPartialResponse(event, handleRecord, new SqsFifoPartialProcessorAsync(), {
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
}

function busyConversation(error: unknown): ConversationBusyError | undefined {
  const cause = error instanceof Error && 'error' in error ? (error as { error: unknown }).error : error;
  return cause instanceof ConversationBusyError ? cause : undefined;
}

function isPermanentTelegramRefusal(error: unknown): boolean {
  const cause = error instanceof Error && 'error' in error ? (error as { error: unknown }).error : error;
  return cause instanceof GrammyError && (cause.error_code === 403 || cause.error_code === 400);
}
