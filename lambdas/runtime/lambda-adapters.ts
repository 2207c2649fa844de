import type { Config } from '../config/config.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import { dynamoStore } from './aws-store.ts';
import type { Adapters } from './runtime.ts';
import { storelessAdapters } from './storeless-adapters.ts';

/**
 * The adapters a Lambda handler runs on, built synchronously (the handlers build their runtime
 * once, synchronously). Only what a deployed or bundled handler can use is reachable from here,
 * so the bundles do not carry the local file queue or the in-memory counters:
 * - the queue is SQS; the file queue belongs to the local stack, which builds its own runtime;
 * - counters go to CloudWatch (EMF) through `telemetry`, the Metrics instance Middy's logMetrics
 *   flushes after each invocation; in-memory counters in a Lambda are read by no one, so
 *   METRICS_DRIVER=memory counts nothing here;
 * - secrets are Secrets Manager, or the encrypted files the webhook bench (scripts/bench) runs
 *   the bundled webhook on: that adapter stays in the bundles for it.
 */
export function lambdaAdapters(config: Config, telemetry: Telemetry): Adapters {
  return { store: dynamoStore(config), ...storelessAdapters(config, telemetry) };
}
