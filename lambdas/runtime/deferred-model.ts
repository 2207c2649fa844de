import type { CompletionRequest, CompletionResponse, LanguageModel } from '../ports/language-model.ts';
import { lazy } from './lazy.ts';

/**
 * A language model whose adapter is imported on its first call, so code that is never chosen by
 * configuration is never loaded. Provider and model id are known before loading: the wiring
 * reads them at start (the offline flag, the price table).
 */
export class DeferredModel implements LanguageModel {
  private readonly model: () => Promise<LanguageModel>;

  constructor(
    readonly provider: string,
    readonly modelId: string,
    load: () => Promise<LanguageModel>,
  ) {
    this.model = lazy(load);
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    return (await this.model()).complete(request);
  }
}
