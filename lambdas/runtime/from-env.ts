import { loadConfig } from '../config/config.ts';
import { lambdaAdapters } from './lambda-adapters.ts';
import type { LambdaObservability } from './lambda-observability.ts';
import { assembleRuntime, type Runtime } from './runtime.ts';

/**
 * The Lambda composition root: configuration from the environment, adapters chosen by it, and
 * the logger and metrics the handler's Middy middlewares flush and stamp with the request.
 */
export function runtimeFromEnv(observability: LambdaObservability): Runtime {
  const config = loadConfig(process.env);
  return assembleRuntime(config, lambdaAdapters(config, observability.telemetry), observability.logger);
}
