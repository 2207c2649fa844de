/**
 * Work queue port with SQS FIFO semantics: messages of one group are delivered strictly in order
 * and never two at a time (a group is blocked while one of its messages is in flight); groups run
 * in parallel. A received message stays invisible for the visibility timeout; if it is not
 * deleted by then it is delivered again with a higher receive count, and after `maxReceiveCount`
 * receives it moves to the dead-letter queue. A deduplication id seen in the last 5 minutes is
 * accepted and dropped.
 */
export interface OutgoingMessage {
  groupId: string;
  deduplicationId: string;
  body: string;
}

export interface ReceivedMessage {
  messageId: string;
  /** Opaque handle for delete / visibility changes; valid for this receive only. */
  receiptHandle: string;
  groupId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
}

export interface QueueProducer {
  send(message: OutgoingMessage): Promise<void>;
}

export interface QueueConsumer {
  receive(options: { maxMessages: number; waitTimeMs?: number }): Promise<ReceivedMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  /** Makes a received message visible again after `timeoutMs` (SQS ChangeMessageVisibility). */
  changeVisibility(receiptHandle: string, timeoutMs: number): Promise<void>;
}

export class QueueMessageTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`Queue message of ${size} bytes exceeds the ${limit}-byte limit`);
    this.name = 'QueueMessageTooLargeError';
  }
}
