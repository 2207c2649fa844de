import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { Api } from 'grammy';
import { TelegramChat } from '../adapters/telegram/telegram-chat.ts';
import { AlarmNotifier } from '../domain/operations/alarm-notification.ts';
import { lambdaObservability } from '../runtime/lambda-observability.ts';
import { lazy } from '../runtime/lazy.ts';
import { webhookRuntimeFromEnv } from '../runtime/webhook-runtime-from-env.ts';

const observability = lambdaObservability('alarm-notifier');

const notifier = lazy(async () => {
  const runtime = webhookRuntimeFromEnv(observability);
  const token = await runtime.cachedSecrets.get(runtime.config.secretIds.botToken);
  const api = new Api(token, { apiRoot: runtime.config.telegramApiRoot });
  return new AlarmNotifier({
    chat: new TelegramChat(api),
    adminIds: runtime.config.adminIds,
    logger: runtime.logger,
  });
});

/**
 * The alarm topic's subscriber: each CloudWatch alarm state change, to every admin in Telegram.
 * Malformed messages are logged and dropped; a Telegram failure fails the invocation, which SNS's
 * asynchronous delivery retries.
 */
export const handler = middy<SNSEvent, void>().handler(async (event) => {
  const chat = await notifier();
  for (const record of event.Records)
    await chat.notify({ id: record.Sns.MessageId, body: record.Sns.Message });
});
for (const middleware of observability.middlewares) handler.use(middleware);
