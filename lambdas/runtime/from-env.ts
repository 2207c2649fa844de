import { loadConfig } from '../config/config.ts';
import { createLogger } from '../shared/logger.ts';
import { buildAdapters } from './build-adapters.ts';
import { assembleRuntime, type Runtime } from './runtime.ts';

/** The Lambda composition root: configuration from the environment, adapters chosen by it. */
export function runtimeFromEnv(serviceName: string): Runtime {
  const config = loadConfig(process.env);
  return assembleRuntime(config, buildAdapters(config, serviceName), createLogger(serviceName));
}
