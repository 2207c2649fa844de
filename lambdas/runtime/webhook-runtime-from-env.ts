import { loadConfig } from '../config/config.ts';
import { CachedSecrets } from './cached-secrets.ts';
import type { LambdaObservability } from './lambda-observability.ts';
import type { WebhookRuntime } from './runtime.ts';
import { storelessAdapters } from './storeless-adapters.ts';

/**
 * The webhook Lambda's composition root: like runtimeFromEnv, without a key-value store, so
 * its bundle carries no DynamoDB code (it makes one call per update, the queue send).
 */
export function webhookRuntimeFromEnv(observability: LambdaObservability): WebhookRuntime {
  const config = loadConfig(process.env);
  const { queue, secrets, telemetry } = storelessAdapters(config, observability.telemetry);
  return {
    config,
    queue,
    cachedSecrets: new CachedSecrets(secrets, config.secretsCacheSeconds * 1000),
    telemetry: telemetry ?? observability.telemetry,
    logger: observability.logger,
  };
}
