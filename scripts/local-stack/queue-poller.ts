import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueueConsumer, ReceivedMessage } from '../../lambdas/ports/queue.ts';
import { lambdaContext } from './http-api.ts';

const CONSUMER_TIMEOUT_MS = 300_000;

type ConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface QueuePoller {
  stop(): Promise<void>;
}

export interface PollerOptions {
  queue: QueueConsumer;
  handler: ConsumerHandler;
  /** Concurrent pollers: chats run in parallel, the queue keeps each chat in order. */
  concurrency?: number;
  /** One, as deployed: a record's slow turn never holds another chat's record back. */
  batchSize?: number;
  queueArn?: string;
  onError?: (error: unknown) => void;
}

/**
 * Lambda's SQS event source mapping, locally: receive a batch, invoke the handler with an SQS
 * event, delete what succeeded, and leave the reported failures to reappear after the visibility
 * timeout (and reach the dead-letter queue after the last receive).
 */
export function startQueuePoller(options: PollerOptions): QueuePoller {
  let running = true;
  const arn = options.queueArn ?? 'arn:aws:sqs:local:000000000000:updates.fifo';
  const loop = async () => {
    while (running) {
      try {
        const messages = await options.queue.receive({
          maxMessages: options.batchSize ?? 1,
          waitTimeMs: 500,
        });
        if (messages.length === 0) continue;
        // The deployed consumer's timeout, so the agent budgets its time as it does in AWS.
        const result = await options.handler(
          toEvent(messages, arn),
          lambdaContext(randomUUID(), CONSUMER_TIMEOUT_MS),
        );
        const failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const message of messages) {
          if (!failed.has(message.messageId)) await options.queue.delete(message.receiptHandle);
        }
      } catch (error) {
        // As with Lambda: a thrown handler fails the whole batch; the messages come back later.
        options.onError?.(error);
      }
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 8 }, loop);
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

function toEvent(messages: ReceivedMessage[], arn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        MessageGroupId: m.groupId,
        MessageDeduplicationId: m.messageId,
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'local',
    })),
  };
}
