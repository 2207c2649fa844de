import { loadConfig } from '../config/config.ts';
import { buildAdapters } from './build-adapters.ts';
import type { LambdaObservability } from './lambda-observability.ts';
import { assembleRuntime, type Runtime } from './runtime.ts';

/**
 * The Lambda composition root: configuration from the environment, adapters chosen by it, and
 * the logger and metrics the handler's Middy middlewares flush and stamp with the request.
 */
export function runtimeFromEnv(serviceName: string, observability: LambdaObservability): Runtime {
  const config = loadConfig(process.env);
  const adapters = buildAdapters(config, serviceName);
  const telemetry = config.metricsDriver === 'emf' ? observability.telemetry : adapters.telemetry;
  return assembleRuntime(config, { ...adapters, ...(telemetry ? { telemetry } : {}) }, observability.logger);
}
