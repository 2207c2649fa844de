import { join } from 'node:path';
import { EmfTelemetry } from '../adapters/aws/emf-telemetry.ts';
import type { Config } from '../config/config.ts';
import { secretsManager, sqsQueues } from './aws-adapters.ts';
import { dynamoStore } from './aws-store.ts';
import type { Adapters } from './runtime.ts';

/**
 * The local stack's composition root (scripts/local-stack): configuration picks an adapter for
 * each port, and the local ones (file queue, file secrets, in-memory counters) are imported only
 * when chosen. Lambda handlers do not come here: they use lambdaAdapters (lambda-adapters.ts),
 * so no Lambda bundle reaches these imports.
 */
export async function buildAdapters(config: Config, serviceName = 'orchestrator'): Promise<Adapters> {
  return {
    store: dynamoStore(config),
    ...(await queuesFor(config.queue)),
    secrets: await secretsFor(config.secrets),
    telemetry: await telemetryFor(config.metricsDriver, serviceName),
    ...(await knowledgeFor(config.knowledge)),
  };
}

/** Project knowledge where configured: the local files and USE lite, or S3 Vectors, S3 and Titan. */
async function knowledgeFor(knowledge: Config['knowledge']): Promise<Pick<Adapters, 'knowledge'>> {
  if (knowledge.driver === 'off') return {};
  const { buildKnowledge } = await import('../app/knowledge-wiring.ts');
  return { knowledge: await buildKnowledge(knowledge) };
}

/** The updates queue, and its dead-letter queue as a producer for the consumer that gives up. */
async function queuesFor(queue: Config['queue']): Promise<Pick<Adapters, 'queue' | 'deadLetters'>> {
  if (queue.driver === 'sqs') return sqsQueues(queue);
  const [{ FileFifoQueue }, { BodySealer }] = await Promise.all([
    import('../adapters/local/file-queue.ts'),
    import('../adapters/local/body-sealer.ts'),
  ]);
  const local = new FileFifoQueue({
    dir: queue.dir,
    visibilityTimeoutMs: queue.visibilityTimeoutMs,
    maxReceiveCount: queue.maxReceiveCount,
    sealer: BodySealer.fromKeyFile(join(queue.dir, 'queue.key')),
  });
  return { queue: local, deadLetters: local.deadLetterProducer() };
}

async function secretsFor(secrets: Config['secrets']): Promise<Adapters['secrets']> {
  if (secrets.driver === 'aws') return secretsManager(secrets);
  const { EncryptedFileSecretStore } = await import('../adapters/local/encrypted-file-secrets.ts');
  return new EncryptedFileSecretStore({ dir: secrets.dir });
}

async function telemetryFor(
  driver: Config['metricsDriver'],
  serviceName: string,
): Promise<Adapters['telemetry']> {
  if (driver === 'emf') return new EmfTelemetry(serviceName);
  const { MemoryTelemetry } = await import('../adapters/local/memory-telemetry.ts');
  return new MemoryTelemetry();
}
