import { join } from 'node:path';
import { DynamoDbStore } from '../adapters/aws/dynamodb-store.ts';
import { EmfTelemetry } from '../adapters/aws/emf-telemetry.ts';
import { SecretsManagerStore } from '../adapters/aws/secrets-manager-store.ts';
import { SqsQueue } from '../adapters/aws/sqs-queue.ts';
import { BodySealer } from '../adapters/local/body-sealer.ts';
import { EncryptedFileSecretStore } from '../adapters/local/encrypted-file-secrets.ts';
import { FileFifoQueue } from '../adapters/local/file-queue.ts';
import { MemoryTelemetry } from '../adapters/local/memory-telemetry.ts';
import type { Config } from '../config/config.ts';
import type { QueueProducer } from '../ports/queue.ts';
import type { Adapters } from './runtime.ts';

/**
 * The one place where configuration picks an adapter for each port. Domain code and handlers
 * receive ports and never ask which world they run in.
 */
export function buildAdapters(config: Config, serviceName = 'orchestrator'): Adapters {
  const store = new DynamoDbStore({
    tableNames: config.tableNames,
    ...(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}),
  });
  let queue: SqsQueue | FileFifoQueue;
  let deadLetters: QueueProducer | undefined;
  if (config.queue.driver === 'sqs') {
    queue = new SqsQueue({ queueUrl: config.queue.url });
    if (config.queue.deadLetterUrl) deadLetters = new SqsQueue({ queueUrl: config.queue.deadLetterUrl });
  } else {
    const local = new FileFifoQueue({
      dir: config.queue.dir,
      visibilityTimeoutMs: config.queue.visibilityTimeoutMs,
      maxReceiveCount: config.queue.maxReceiveCount,
      sealer: BodySealer.fromKeyFile(join(config.queue.dir, 'queue.key')),
    });
    queue = local;
    deadLetters = local.deadLetterProducer();
  }
  const secrets =
    config.secrets.driver === 'aws'
      ? new SecretsManagerStore({
          ...(config.secrets.kmsKeyId ? { kmsKeyId: config.secrets.kmsKeyId } : {}),
          tags: { 'managed-by': 'codegen-orchestrator' },
        })
      : new EncryptedFileSecretStore({ dir: config.secrets.dir });
  const telemetry = config.metricsDriver === 'emf' ? new EmfTelemetry(serviceName) : new MemoryTelemetry();
  return { store, queue, ...(deadLetters ? { deadLetters } : {}), secrets, telemetry };
}
