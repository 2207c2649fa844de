import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { buildConsumerApp } from '../app/consumer-app.ts';
import { runtimeFromEnv } from '../runtime/from-env.ts';
import { lazy, once } from '../runtime/lazy.ts';
import type { Runtime } from '../runtime/runtime.ts';

/** SQS FIFO consumer: answers queued Telegram updates, reporting partial batch failures. */
export function createQueueConsumerHandler(getRuntime: () => Runtime) {
  const app = lazy(() => buildConsumerApp(getRuntime()));
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event, context) => {
    try {
      return await (await app())(event, context);
    } finally {
      getRuntime().telemetry.flush();
    }
  });
}

export const handler = createQueueConsumerHandler(once(() => runtimeFromEnv('queue-consumer')));
