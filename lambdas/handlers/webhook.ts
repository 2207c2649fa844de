import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildWebhookApp } from '../app/webhook-app.ts';
import { lambdaObservability } from '../runtime/lambda-observability.ts';
import { lazy, once } from '../runtime/lazy.ts';
import type { WebhookRuntime } from '../runtime/runtime.ts';
import { webhookRuntimeFromEnv } from '../runtime/webhook-runtime-from-env.ts';

/** Telegram webhook: verify, validate, queue, answer at once. The local stack serves this too. */
export function createWebhookHandler(getRuntime: () => WebhookRuntime, middlewares: MiddlewareObj[] = []) {
  const app = lazy(() => buildWebhookApp(getRuntime()));
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(
    async (event) => {
      try {
        return await (await app())(event);
      } catch (error) {
        // No details to the caller; Telegram retries on a 5xx, and the logs say what broke.
        getRuntime().logger.error('webhook failed', { error: String(error) });
        return { statusCode: 500 };
      } finally {
        getRuntime().telemetry.flush();
      }
    },
  );
  for (const middleware of middlewares) handler.use(middleware);
  return handler;
}

const observability = lambdaObservability('telegram-webhook');
export const handler = createWebhookHandler(
  once(() => webhookRuntimeFromEnv(observability)),
  observability.middlewares,
);
