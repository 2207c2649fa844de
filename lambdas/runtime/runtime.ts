import type { Knowledge } from '../app/knowledge.ts';
import type { Config } from '../config/config.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { KeyValueStore } from '../ports/key-value-store.ts';
import type { OneOffScheduler } from '../ports/one-off-scheduler.ts';
import type { Pipelines } from '../ports/pipelines.ts';
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
  /** The pipelines, where configured (PIPELINES_DRIVER); without them the tools say nothing ran. */
  pipelines?: Pipelines;
  /** Where project repositories live; the pipeline steps that make and read them need it. */
  gitHost?: GitHost;
  /** One-off schedules into the updates queue (reminders), where configured. */
  scheduler?: OneOffScheduler;
  /** Project knowledge (search and indexing), where configured (KNOWLEDGE_DRIVER). */
  knowledge?: Knowledge;
}

/**
 * What the webhook runs on: it reads two cached secrets and sends to the queue, nothing else, so
 * its bundle carries no DynamoDB code. A full Runtime is one too (the local stack passes that).
 */
export type WebhookRuntime = Pick<Runtime, 'config' | 'cachedSecrets' | 'telemetry' | 'logger'> & {
  queue: QueueProducer;
};

export interface Adapters {
  store: KeyValueStore;
  queue: QueueProducer & QueueConsumer;
  deadLetters?: QueueProducer;
  secrets: SecretStore;
  telemetry?: Telemetry;
  knowledge?: Knowledge;
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
