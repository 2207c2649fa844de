import { classifyByRules, envContractSchema } from '../../../domain/deploys/env-analysis.ts';
import type { ChatMessage } from '../../../ports/language-model.ts';

/**
 * The offline model's env classification: the contract arrives as JSON data (the analyse-env step
 * sends `{ contract }`), and the answer is the rules' own classification, so a local deploy asks
 * for exactly what the rules say a person must give.
 */
export function classifyEnv(messages: ChatMessage[]): { variables: Array<{ name: string; class: string }> } {
  const text = messages
    .flatMap((m) => m.content)
    .flatMap((b) => (b.type === 'text' ? [b.text] : []))
    .at(-1);
  let contract: unknown;
  try {
    contract = (JSON.parse(text ?? '{}') as { contract?: unknown }).contract;
  } catch {
    return { variables: [] };
  }
  const parsed = envContractSchema.safeParse(contract);
  if (!parsed.success) return { variables: [] };
  return { variables: classifyByRules(parsed.data).variables.map((v) => ({ name: v.name, class: v.class })) };
}
