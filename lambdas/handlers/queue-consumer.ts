import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { buildConsumerApp } from '../app/consumer-app.ts';
import { lazy } from '../runtime/lazy.ts';
import { runtimeFromEnv } from '../runtime/from-env.ts';

const runtime = runtimeFromEnv('queue-consumer');
const app = lazy(() => buildConsumerApp(runtime));

/** SQS FIFO consumer: answers queued Telegram updates, reporting partial batch failures. */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => (await app())(event));
