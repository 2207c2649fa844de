import { EncryptedFileSecretStore } from '../adapters/local/encrypted-file-secrets.ts';
import type { Config } from '../config/config.ts';
import { NO_TELEMETRY, type Telemetry } from '../ports/telemetry.ts';
import { secretsManager, sqsQueues } from './aws-adapters.ts';
import type { Adapters } from './runtime.ts';

/**
 * A Lambda's adapters without the key-value store: the webhook's (it writes nothing), and the
 * rest of the consumer's (lambda-adapters.ts). See lambdaAdapters for why each is what it is.
 */
export function storelessAdapters(config: Config, telemetry: Telemetry): Omit<Adapters, 'store'> {
  if (config.queue.driver !== 'sqs') {
    throw new Error('QUEUE_DRIVER=local-file runs on the local stack (npm start), not in a Lambda handler');
  }
  return {
    ...sqsQueues(config.queue),
    secrets:
      config.secrets.driver === 'aws'
        ? secretsManager(config.secrets)
        : new EncryptedFileSecretStore({ dir: config.secrets.dir }),
    telemetry: config.metricsDriver === 'emf' ? telemetry : NO_TELEMETRY,
  };
}
