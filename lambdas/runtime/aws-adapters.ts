import { SecretsManagerStore } from '../adapters/aws/secrets-manager-store.ts';
import { SqsQueue } from '../adapters/aws/sqs-queue.ts';
import type { Config } from '../config/config.ts';
import type { Adapters } from './runtime.ts';

/** The AWS adapters both composition roots build the same way (the store: aws-store.ts). */

export function secretsManager(secrets: Extract<Config['secrets'], { driver: 'aws' }>): SecretsManagerStore {
  return new SecretsManagerStore({
    ...(secrets.kmsKeyId ? { kmsKeyId: secrets.kmsKeyId } : {}),
    tags: { 'managed-by': 'codegen-orchestrator' },
  });
}

/** The updates queue and, where configured (the consumer), its dead-letter queue. */
export function sqsQueues(
  queue: Extract<Config['queue'], { driver: 'sqs' }>,
): Pick<Adapters, 'queue' | 'deadLetters'> {
  return {
    queue: new SqsQueue({ queueUrl: queue.url }),
    ...(queue.deadLetterUrl ? { deadLetters: new SqsQueue({ queueUrl: queue.deadLetterUrl }) } : {}),
  };
}
