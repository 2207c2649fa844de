import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the Claude Code CLI is: `CLAUDE_CODE_BIN`, else the cache directory that
 * scripts/install-claude-code.sh installs into (`CLAUDE_CODE_DIR`, default `.cache/claude-code`
 * under `root`). Undefined when neither exists: the CLI is deliberately not a dependency.
 */
export function locateClaudeCode(env: NodeJS.ProcessEnv, root = process.cwd()): string | undefined {
  if (env.CLAUDE_CODE_BIN) return env.CLAUDE_CODE_BIN;
  const binary = join(resolve(root, env.CLAUDE_CODE_DIR ?? '.cache/claude-code'), 'node_modules/.bin/claude');
  return existsSync(binary) ? binary : undefined;
}
