import type { TokenUsage } from '../../ports/language-model.ts';

/** US dollars per million tokens, per model id (from configuration: LLM_PRICES). */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheReadPerMTok?: number;
  cacheWritePerMTok?: number;
}

export type PriceTable = Record<string, ModelPrice>;

/**
 * Estimated cost of one call in micro-dollars (integers add up exactly in DynamoDB counters).
 * A model missing from the table costs 0 and is reported as unpriced, not guessed.
 */
export function estimateCostMicros(
  prices: PriceTable,
  modelId: string,
  usage: TokenUsage,
): { micros: number; priced: boolean } {
  const price = prices[modelId];
  if (!price) return { micros: 0, priced: false };
  const dollars =
    (usage.inputTokens * price.inputPerMTok +
      usage.outputTokens * price.outputPerMTok +
      usage.cacheReadTokens * (price.cacheReadPerMTok ?? price.inputPerMTok) +
      usage.cacheWriteTokens * (price.cacheWritePerMTok ?? price.inputPerMTok)) /
    1_000_000;
  return { micros: Math.round(dollars * 1_000_000), priced: true };
}
