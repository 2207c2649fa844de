import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OrchestratorFunction } from './orchestrator-function.ts';

/** The consumer is the Product Owner agent: one update may call a model several times. */
export const CONSUMER_TIMEOUT = Duration.seconds(300);
/** AWS's guidance for SQS event sources: visibility timeout at least 6x the function timeout. */
export const VISIBILITY_TIMEOUT = Duration.seconds(CONSUMER_TIMEOUT.toSeconds() * 6);
/**
 * How long a run holds its conversation (CONVERSATION_LEASE_SECONDS). Longer than the Lambda can
 * run, so a live run never loses its lease to a redelivery of the same chat; shorter than the
 * visibility timeout, so the lease of a run that died has expired by the time SQS redelivers.
 */
export const CONVERSATION_LEASE = Duration.seconds(CONSUMER_TIMEOUT.toSeconds() + 30);
/**
 * A backstop only: the consumer retries transient failures itself (ChangeMessageVisibility with
 * growing, jittered delays) and moves a message to the DLQ after its last real failure. Every
 * bounce of a busy or paused conversation is a receive too, so this is high enough that only a
 * consumer crashing outright on a message dead-letters it this way.
 */
export const MAX_RECEIVE_COUNT = 50;
/**
 * One update per invocation: FIFO message groups (chats) run in parallel instead of sharing a
 * batch, and one slow agent turn never holds other chats' updates.
 */
export const CONSUMER_BATCH_SIZE = 1;
export interface UpdateQueueProps {
  key: IKey;
  logRetention: RetentionDays;
  environment: Record<string, string>;
  /** Most consumer invocations the event source runs at once (operator input, 2-1000). */
  maxConcurrency: number;
}

/**
 * The FIFO queue between webhook and consumer. The webhook sends with MessageGroupId = chat id,
 * so one chat's updates are handled in order and chats run in parallel (high-throughput FIFO:
 * deduplication and throughput per message group), at most `maxConcurrency` at once so the
 * consumer cannot take the account's concurrency from the webhook. The consumer moves a message
 * that keeps failing to the DLQ itself; SQS does so after MAX_RECEIVE_COUNT receives.
 */
export class UpdateQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly consumer: OrchestratorFunction;

  constructor(scope: Construct, id: string, props: UpdateQueueProps) {
    super(scope, id);
    const encryption = {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
    } as const;

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      ...encryption,
      fifo: true,
      contentBasedDeduplication: false,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Updates', {
      ...encryption,
      fifo: true,
      // Needed by EventBridge Scheduler's reminders (they carry no deduplication id); every other
      // sender sets its own id, which takes precedence over the content hash.
      contentBasedDeduplication: true,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.consumer = new OrchestratorFunction(this, 'Consumer', {
      entry: 'lambdas/handlers/queue-consumer.ts',
      serviceName: 'queue-consumer',
      description: 'Handles queued Telegram updates one chat at a time and answers them',
      logRetention: props.logRetention,
      timeout: CONSUMER_TIMEOUT,
      memorySize: 1024,
      environment: {
        ...props.environment,
        CONVERSATION_LEASE_SECONDS: String(CONVERSATION_LEASE.toSeconds()),
      },
      // Its Bedrock Runtime client must know Converse cache points: pin it through the bundle.
      awsSdk: 'bundled',
    });
    this.consumer.consumesFrom(this.queue, {
      batchSize: CONSUMER_BATCH_SIZE,
      maxConcurrency: props.maxConcurrency,
    });
  }
}
