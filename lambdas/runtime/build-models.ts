import { BedrockConverseModel } from '../adapters/aws/bedrock-converse-model.ts';
import { OfflineModel } from '../adapters/llm/offline-model.ts';
import { OpenAiCompatibleModel } from '../adapters/llm/openai-compatible-model.ts';
import type { Config, ModelSpec } from '../config/config.ts';
import type { LanguageModel } from '../ports/language-model.ts';
import { SecretNotFoundError } from '../ports/secrets.ts';
import type { Logger } from '../shared/logger.ts';
import type { CachedSecrets } from './cached-secrets.ts';

export interface Models {
  intent: LanguageModel;
  agent: LanguageModel;
}

/** Picks each role's model from configuration (a cheap one for intents, a strong one for the agent). */
export function buildModels(config: Config, secrets: CachedSecrets, logger: Logger): Models {
  const build = (spec: ModelSpec): LanguageModel => {
    switch (spec.provider) {
      case 'offline':
        return new OfflineModel();
      case 'bedrock':
        return new BedrockConverseModel({ modelId: spec.modelId, timeoutMs: config.llm.timeoutMs });
      case 'openai':
        return new OpenAiCompatibleModel({
          modelId: spec.modelId,
          baseUrl: config.llm.openAiBaseUrl,
          timeoutMs: config.llm.timeoutMs,
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
