import { loadConfig } from '../config/config.ts';
import { createLogger } from '../shared/logger.ts';
import { lambdaAdapters } from './lambda-adapters.ts';
import { assembleRuntime, type Runtime } from './runtime.ts';

/** The Lambda composition root: configuration from the environment, adapters chosen by it. */
export function runtimeFromEnv(serviceName: string): Runtime {
  const config = loadConfig(process.env);
  return assembleRuntime(config, lambdaAdapters(config, serviceName), createLogger(serviceName));
}
