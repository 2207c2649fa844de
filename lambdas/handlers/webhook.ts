import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildWebhookApp } from '../app/webhook-app.ts';
import { lazy } from '../runtime/lazy.ts';
import { runtimeFromEnv } from '../runtime/from-env.ts';

const runtime = runtimeFromEnv('telegram-webhook');
const app = lazy(() => buildWebhookApp(runtime));

/** Telegram webhook: verify, dedup, queue, answer at once. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(
  async (event) => {
    try {
      return await (await app())(event);
    } catch (error) {
      // No details to the caller; Telegram retries on a 5xx, and the logs say what broke.
      runtime.logger.error('webhook failed', { error: String(error) });
      return { statusCode: 500 };
    }
  },
);
