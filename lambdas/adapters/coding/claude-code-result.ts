import { estimateCostMicros, type PriceTable } from '../../domain/usage/price-table.ts';
import { CodingEngineError, type CodingResult } from '../../ports/coding-engine.ts';
import type { TokenUsage } from '../../ports/language-model.ts';

/**
 * Reading Claude Code's `--output-format stream-json` output: one JSON object a line; the last
 * `{"type":"result", ...}` line carries the outcome, `usage`, `modelUsage` (per model) and
 * `num_turns`. Its `total_cost_usd` is at list prices: we price with our own table instead.
 */
export interface ClaudeCodeResultLine {
  type: 'result';
  subtype: string;
  is_error: boolean;
  num_turns?: number;
  result?: string;
  usage?: {
    input_tokens?: number;
    output_tokens?: number;
    cache_read_input_tokens?: number;
    cache_creation_input_tokens?: number;
  };
  modelUsage?: Record<
    string,
    {
      inputTokens?: number;
      outputTokens?: number;
      cacheReadInputTokens?: number;
      cacheCreationInputTokens?: number;
    }
  >;
  api_error_status?: number | null;
}

/** The result line among the stream's lines, or undefined; lines that are not JSON are skipped. */
export function findResultLine(lines: string[]): ClaudeCodeResultLine | undefined {
  let found: ClaudeCodeResultLine | undefined;
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as { type?: unknown };
      if (parsed.type === 'result') found = parsed as ClaudeCodeResultLine;
    } catch {
      // a partial or foreign line: the result line is what matters
    }
  }
  return found;
}

const ZERO: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

function add(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/**
 * Maps the result line: success -> done; a `error_max_*` subtype (turns, budget) -> gave_up, since
 * the engine stopped by our limits; anything else (API errors, crashes) throws CodingEngineError.
 * Usage is priced per model of `modelUsage` (the CLI may call a small model on the side), falling
 * back to the total `usage` at the configured model.
 */
export function mapResult(line: ClaudeCodeResultLine, modelId: string, prices: PriceTable): CodingResult {
  const done = line.subtype === 'success' && !line.is_error;
  const gaveUp = line.subtype.startsWith('error_max');
  if (!done && !gaveUp) {
    const status = line.api_error_status ? ` (API status ${line.api_error_status})` : '';
    throw new CodingEngineError(
      `Claude Code failed: ${line.subtype}${status}: ${(line.result ?? '').slice(0, 500)}`,
      line.api_error_status ? 'api_error' : line.subtype,
    );
  }
  const perModel = Object.entries(line.modelUsage ?? {}).map(([model, used]) => ({
    model,
    usage: {
      inputTokens: used.inputTokens ?? 0,
      outputTokens: used.outputTokens ?? 0,
      cacheReadTokens: used.cacheReadInputTokens ?? 0,
      cacheWriteTokens: used.cacheCreationInputTokens ?? 0,
    },
  }));
  if (perModel.length === 0) {
    perModel.push({
      model: modelId,
      usage: {
        inputTokens: line.usage?.input_tokens ?? 0,
        outputTokens: line.usage?.output_tokens ?? 0,
        cacheReadTokens: line.usage?.cache_read_input_tokens ?? 0,
        cacheWriteTokens: line.usage?.cache_creation_input_tokens ?? 0,
      },
    });
  }
  let micros = 0;
  let priced = true;
  for (const { model, usage } of perModel) {
    const cost = estimateCostMicros(prices, model, usage);
    micros += cost.micros;
    priced &&= cost.priced;
  }
  const text = (line.result ?? '').trim();
  return {
    outcome: done ? 'done' : 'gave_up',
    summary: done
      ? text || 'Claude Code finished'
      : `Stopped (${line.subtype}) after ${line.num_turns ?? '?'} turns`,
    usage: perModel.reduce((sum, entry) => add(sum, entry.usage), ZERO),
    modelId,
    ...(line.num_turns === undefined ? {} : { turns: line.num_turns }),
    cost: { micros, priced },
  };
}
