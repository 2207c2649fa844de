import { z } from 'zod';
import { locateClaudeCode } from '../../../lambdas/adapters/coding/claude-code-binary.ts';
import { ClaudeCodeEngine } from '../../../lambdas/adapters/coding/claude-code-engine.ts';
import { ScriptedEngine } from '../../../lambdas/adapters/coding/scripted-engine.ts';
import { DEFAULT_PRICES, envSchema } from '../../../lambdas/config/config.ts';
import type { CodingEngine } from '../../../lambdas/ports/coding-engine.ts';

/**
 * The engine the environment asks for:
 * - CODING_ENGINE=scripted (default): the offline engine; SCRIPTED_ENGINE_FAIL_ATTEMPTS=n makes
 *   attempts 1..n red; SCRIPTED_ENGINE_BROKEN_START_BRANCH=<branch> makes that branch's project
 *   pass its tests but exit when started; SCRIPTED_ENGINE_STATE_FAULT_BRANCH=<branch> makes that
 *   branch's project fail its health check for good once its state file is corrupt.
 * - CODING_ENGINE=claude-code: the CLI at CLAUDE_CODE_BIN (or the install script's cache), model
 *   CLAUDE_CODE_MODEL, optional CLAUDE_CODE_MAX_BUDGET_USD, priced with the built-in prices plus
 *   LLM_PRICES. Bedrock needs CLAUDE_CODE_USE_BEDROCK=1 and AWS_REGION in the environment (both
 *   are on the engine's allow-list).
 */
const schema = z.object({
  CODING_ENGINE: z.enum(['scripted', 'claude-code']).default('scripted'),
  SCRIPTED_ENGINE_FAIL_ATTEMPTS: z.coerce.number().int().min(0).default(0),
  SCRIPTED_ENGINE_HANG: z.enum(['0', '1']).default('0'),
  SCRIPTED_ENGINE_BROKEN_START_BRANCH: z.string().optional(),
  SCRIPTED_ENGINE_STATE_FAULT_BRANCH: z.string().optional(),
  SCRIPTED_ENGINE_TOKENS: z.coerce.number().int().min(0).default(0),
  CLAUDE_CODE_MODEL: z.string().min(1).optional(),
  CLAUDE_CODE_MAX_BUDGET_USD: z.coerce.number().positive().optional(),
  LLM_PRICES: envSchema.shape.LLM_PRICES,
});

export function engineFromEnv(env: NodeJS.ProcessEnv, job?: { branch: string }): CodingEngine {
  const config = schema.parse(env);
  if (config.CODING_ENGINE === 'scripted') {
    return new ScriptedEngine({
      failAttempts: config.SCRIPTED_ENGINE_FAIL_ATTEMPTS,
      hang: config.SCRIPTED_ENGINE_HANG === '1',
      brokenStart: job !== undefined && config.SCRIPTED_ENGINE_BROKEN_START_BRANCH === job.branch,
      stateFault: job !== undefined && config.SCRIPTED_ENGINE_STATE_FAULT_BRANCH === job.branch,
      tokensPerAttempt: config.SCRIPTED_ENGINE_TOKENS,
    });
  }
  const command = locateClaudeCode(env);
  if (!command)
    throw new Error('CODING_ENGINE=claude-code but CLAUDE_CODE_BIN is unset and the CLI is not installed');
  if (!config.CLAUDE_CODE_MODEL)
    throw new Error('CLAUDE_CODE_MODEL is required with CODING_ENGINE=claude-code');
  return new ClaudeCodeEngine({
    command,
    model: config.CLAUDE_CODE_MODEL,
    prices: { ...DEFAULT_PRICES, ...config.LLM_PRICES },
    ...(config.CLAUDE_CODE_MAX_BUDGET_USD === undefined
      ? {}
      : { maxBudgetUsd: config.CLAUDE_CODE_MAX_BUDGET_USD }),
  });
}
