import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { webhookCallback } from 'grammy';
import { createWebhookBot } from '../bot/webhook-bot.ts';
import type { WebhookRuntime } from '../runtime/runtime.ts';
import { botInfoFrom } from '../shared/bot-identity.ts';
import { handleWebhookRequest, type WebhookGate } from './webhook-request.ts';

export type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Builds the webhook's request handler from a runtime: secrets read once, bot built once. Per
 * update it makes one AWS call, the queue send; the secrets come from the process's cache.
 */
export async function buildWebhookApp(runtime: WebhookRuntime): Promise<WebhookHandler> {
  const { config, cachedSecrets, logger } = runtime;
  const [token, secretToken] = await Promise.all([
    cachedSecrets.get(config.secretIds.botToken),
    cachedSecrets.get(config.secretIds.webhookSecret),
  ]);
  const botInfo = botInfoFrom(token, config.botUsername);
  const bot = createWebhookBot({
    token,
    botInfo,
    apiRoot: config.telegramApiRoot,
    queue: runtime.queue,
    logger,
    telemetry: runtime.telemetry,
  });
  // Under the Lambda's 10 s timeout, so a slow dependency ends in our 500, not a Lambda timeout.
  const callbackFor = (secret: string): WebhookGate['forward'] => {
    const callback = webhookCallback(bot, 'aws-lambda-async', {
      secretToken: secret,
      timeoutMilliseconds: 8_000,
    });
    // grammY types this adapter as Promise<void>; at run time it resolves to the HTTP response.
    return (event) => callback(event, {}) as unknown as Promise<APIGatewayProxyStructuredResultV2>;
  };
  const gate: WebhookGate = {
    secretToken,
    maxUpdateBytes: config.maxUpdateBytes,
    forward: callbackFor(secretToken),
    logger,
    telemetry: runtime.telemetry,
  };
  return async (event) => {
    // A rotated secret token is picked up when the secrets cache expires.
    const current = await cachedSecrets.get(config.secretIds.webhookSecret);
    if (current !== gate.secretToken) {
      gate.secretToken = current;
      gate.forward = callbackFor(current);
    }
    return handleWebhookRequest(event, gate);
  };
}
