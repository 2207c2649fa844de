import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type OutgoingMessage,
  type QueueConsumer,
  QueueMessageTooLargeError,
  type QueueProducer,
  type ReceivedMessage,
} from '../../ports/queue.ts';

export interface SqsQueueOptions {
  queueUrl: string;
  client?: SQSClient;
  /** Checked before sending; 256 KiB unless the queue's MaximumMessageSize says otherwise. */
  maxMessageBytes?: number;
}

const MAX_WAIT_SECONDS = 20;
const MAX_BATCH = 10;
// SQS rejects an oversize body with InvalidParameterValue and this wording, naming its limit.
const TOO_LONG = /must be shorter than (\d+) bytes/i;

/** Queue port on an SQS FIFO queue; the redrive policy and visibility timeout live on the queue. */
export class SqsQueue implements QueueProducer, QueueConsumer {
  private readonly queueUrl: string;
  private readonly client: SQSClient;
  private readonly maxMessageBytes: number;

  constructor(options: SqsQueueOptions) {
    this.queueUrl = options.queueUrl;
    this.client = options.client ?? new SQSClient({});
    this.maxMessageBytes = options.maxMessageBytes ?? 262_144;
  }

  async send(message: OutgoingMessage): Promise<void> {
    // Checked here too so the caller gets the typed error without a round trip or a retry.
    const size = Buffer.byteLength(message.body, 'utf8');
    if (size > this.maxMessageBytes) throw new QueueMessageTooLargeError(size, this.maxMessageBytes);
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: message.body,
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.deduplicationId,
        }),
      );
    } catch (error) {
      const limit = error instanceof Error ? TOO_LONG.exec(error.message)?.[1] : undefined;
      if (limit !== undefined) throw new QueueMessageTooLargeError(size, Number(limit));
      throw error;
    }
  }

  async receive(options: { maxMessages: number; waitTimeMs?: number }): Promise<ReceivedMessage[]> {
    // Same check and error as the local queue, so a wrong batch size fails alike in both stacks.
    if (
      !Number.isInteger(options.maxMessages) ||
      options.maxMessages < 1 ||
      options.maxMessages > MAX_BATCH
    ) {
      throw new RangeError(`maxMessages must be an integer from 1 to ${MAX_BATCH}`);
    }
    const result = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: options.maxMessages,
        // Rounded up: a short wait must not become a short poll, which samples only some servers.
        ...(options.waitTimeMs === undefined
          ? {}
          : {
              WaitTimeSeconds: Math.min(Math.ceil(Math.max(options.waitTimeMs, 0) / 1000), MAX_WAIT_SECONDS),
            }),
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
      }),
    );
    return (result.Messages ?? []).map(toReceived);
  }

  async changeVisibility(receiptHandle: string, timeoutMs: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        // SQS takes whole seconds, 0 to 12 hours.
        VisibilityTimeout: Math.min(43_200, Math.max(0, Math.ceil(timeoutMs / 1000))),
      }),
    );
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }),
    );
  }
}

function toReceived(message: Message): ReceivedMessage {
  const attributes = message.Attributes ?? {};
  if (!message.MessageId || !message.ReceiptHandle || attributes.MessageGroupId === undefined) {
    throw new Error(`SQS returned message ${message.MessageId ?? '(no id)'} without its handle or group`);
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    groupId: attributes.MessageGroupId,
    body: message.Body ?? '',
    receiveCount: Number(attributes.ApproximateReceiveCount ?? '1'),
    sentAt: Number(attributes.SentTimestamp ?? '0'),
  };
}
