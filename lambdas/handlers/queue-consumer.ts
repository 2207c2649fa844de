import { Tracer } from '@aws-lambda-powertools/tracer';
import middy, { type MiddlewareObj } from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { buildConsumerApp } from '../app/consumer-app.ts';
import { runtimeFromEnv } from '../runtime/from-env.ts';
import { lambdaObservability } from '../runtime/lambda-observability.ts';
import { lazy, once } from '../runtime/lazy.ts';
import type { Runtime } from '../runtime/runtime.ts';

/**
 * SQS FIFO consumer: answers queued Telegram updates. It never throws for one update's failure:
 * each record's outcome (done, or retry after a delay) becomes the partial batch response, and
 * failed updates show in the UpdateRetried / UpdateFailedPermanently / UpdateDeadLettered metrics.
 */
export function createQueueConsumerHandler(getRuntime: () => Runtime, middlewares: MiddlewareObj[] = []) {
  const app = lazy(() => buildConsumerApp(getRuntime()));
  const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event, context) => {
    try {
      return await (await app())(event, context);
    } finally {
      getRuntime().telemetry.flush();
    }
  });
  for (const middleware of middlewares) handler.use(middleware);
  return handler;
}

const observability = lambdaObservability('queue-consumer', {
  tracer: (serviceName) => new Tracer({ serviceName }),
});
export const handler = createQueueConsumerHandler(
  once(() => runtimeFromEnv(observability)),
  observability.middlewares,
);
