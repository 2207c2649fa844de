import type { Config } from '../config/config.ts';
import type { KeyValueStore } from '../ports/key-value-store.ts';
import type { QueueConsumer, QueueProducer } from '../ports/queue.ts';
import type { SecretStore } from '../ports/secrets.ts';
import { NO_TELEMETRY, type Telemetry } from '../ports/telemetry.ts';
import type { Logger } from '../shared/logger.ts';
import { CachedSecrets } from './cached-secrets.ts';

/** Everything a handler needs, built once per process from configuration. */
export interface Runtime {
  config: Config;
  store: KeyValueStore;
  queue: QueueProducer & QueueConsumer;
  /** Where the consumer puts an update it gives up on; absent where no consumer runs. */
  deadLetters?: QueueProducer;
  secrets: SecretStore;
  cachedSecrets: CachedSecrets;
  telemetry: Telemetry;
  logger: Logger;
}

export interface Adapters {
  store: KeyValueStore;
  queue: QueueProducer & QueueConsumer;
  deadLetters?: QueueProducer;
  secrets: SecretStore;
  telemetry?: Telemetry;
}

export function assembleRuntime(config: Config, adapters: Adapters, logger: Logger): Runtime {
  return {
    config,
    telemetry: NO_TELEMETRY,
    ...adapters,
    cachedSecrets: new CachedSecrets(adapters.secrets, config.secretsCacheSeconds * 1000),
    logger,
  };
}
