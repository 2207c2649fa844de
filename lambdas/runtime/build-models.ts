import { BedrockConverseModel } from '../adapters/aws/bedrock-converse-model.ts';
import { OpenAiCompatibleModel } from '../adapters/llm/openai-compatible-model.ts';
import type { Config, ModelSpec } from '../config/config.ts';
import type { LanguageModel } from '../ports/language-model.ts';
import { SecretNotFoundError } from '../ports/secrets.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import type { Logger } from '../shared/logger.ts';
import type { CachedSecrets } from './cached-secrets.ts';
import { DeferredModel } from './deferred-model.ts';

export interface Models {
  intent: LanguageModel;
  agent: LanguageModel;
}

/**
 * Picks each role's model from configuration (a cheap one for intents, a strong one for the
 * agent). Throttled attempts are counted as ModelThrottled when telemetry is given.
 */
export function buildModels(
  config: Config,
  secrets: CachedSecrets,
  logger: Logger,
  telemetry?: Telemetry,
): Models {
  const onThrottled = () => telemetry?.count('ModelThrottled');
  const build = (spec: ModelSpec): LanguageModel => {
    switch (spec.provider) {
      case 'offline':
        return new DeferredModel('offline', OFFLINE_MODEL_ID, loadOfflineModel);
      case 'bedrock':
        return new BedrockConverseModel({
          modelId: spec.modelId,
          timeoutMs: config.llm.timeoutMs,
          onThrottled,
        });
      case 'openai':
        return new OpenAiCompatibleModel({
          modelId: spec.modelId,
          baseUrl: config.llm.openAiBaseUrl,
          timeoutMs: config.llm.timeoutMs,
          onThrottled,
          // Ollama and vLLM need no key: a missing secret means no Authorization header.
          apiKey: () =>
            secrets.get(config.llm.openAiKeySecretId).catch((error: unknown) => {
              if (error instanceof SecretNotFoundError) return undefined;
              throw error;
            }),
        });
    }
  };
  const models = { intent: build(config.llm.intent), agent: build(config.llm.agent) };
  for (const [role, model] of Object.entries(models)) {
    if (model.provider === 'offline') {
      logger.warn('language model is OFFLINE: deterministic rules, no network, not a real model', { role });
    } else {
      logger.info('language model', { role, provider: model.provider, modelId: model.modelId });
    }
  }
  return models;
}

// The offline model's id, as OfflineModel reports it (and the price table lists it).
const OFFLINE_MODEL_ID = 'offline-deterministic';

/**
 * The offline model's module, resolved at run time from this file's own URL. esbuild bundles an
 * import() of a literal path into the one file NodejsFunction ships (ESM there cannot split), but
 * leaves an import() of a computed specifier alone: so the Lambda bundles do not carry the
 * offline model. Running from source (local stack, tests) the module sits next to this file;
 * in a bundle it does not, and LLM_*_MODEL=offline fails on the first call, saying so.
 */
const OFFLINE_MODEL_MODULE = new URL('../adapters/llm/offline-model.ts', import.meta.url).href;

async function loadOfflineModel(): Promise<LanguageModel> {
  try {
    const module = (await import(OFFLINE_MODEL_MODULE)) as typeof import('../adapters/llm/offline-model.ts');
    return new module.OfflineModel();
  } catch (error) {
    throw new Error(
      `The offline model is not part of this build (${OFFLINE_MODEL_MODULE}): it runs from source only (local stack, tests)`,
      { cause: error },
    );
  }
}
