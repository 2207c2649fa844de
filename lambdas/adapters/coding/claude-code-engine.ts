import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { PriceTable } from '../../domain/usage/price-table.ts';
import {
  type CodingEngine,
  CodingEngineError,
  type CodingResult,
  type CodingTask,
} from '../../ports/coding-engine.ts';
import { claudeCodePrompt } from './claude-code-prompt.ts';
import { findResultLine, mapResult } from './claude-code-result.ts';

/**
 * The coding engine in AWS: the Claude Code CLI run headless in the working tree. In AWS it talks
 * to Bedrock (env `CLAUDE_CODE_USE_BEDROCK=1`, `AWS_REGION`); in the contract test to a local fake
 * of the Anthropic API (`ANTHROPIC_BASE_URL`). The CLI is not a project dependency (see
 * scripts/install-claude-code.sh): `command` is the path of its binary.
 */
export interface ClaudeCodeEngineOptions {
  /** Path of the `claude` binary. */
  command: string;
  /** Model id passed to `--model` and used to price the usage, e.g. a Bedrock inference profile id. */
  model: string;
  /** Set in the child on top of the allow-listed variables, e.g. { CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION }. */
  env?: Record<string, string>;
  /** Passed as `--max-budget-usd`; the CLI counts at list prices, so this is a safety stop only. */
  maxBudgetUsd?: number;
  /** Our price table: the ledger's cost comes from it, never from the CLI's figure. */
  prices: PriceTable;
  allowedTools?: string[];
  /** Where the allow-listed variables are read from (default process.env): the test seam. */
  parentEnv?: NodeJS.ProcessEnv;
  /** Grace between SIGTERM and SIGKILL of the process group on abort. */
  killGraceMs?: number;
}

export const DEFAULT_ALLOWED_TOOLS = [
  'Read',
  'Write',
  'Edit',
  'Glob',
  'Grep',
  'Bash(npm test)',
  'Bash(npm run lint)',
  'Bash(npm ci:*)',
  'Bash(npm install:*)',
  'Bash(node:*)',
  'Bash(ls:*)',
];

/**
 * The only variables of the worker's environment the CLI gets: what it needs to run and to reach
 * Bedrock or the Anthropic API. Anything else (the repository token, the task token, other
 * secrets) stays out, so nothing the model runs through Bash can read it.
 */
export const INHERITED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'TMPDIR',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'CLAUDE_CODE_USE_BEDROCK',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_BEDROCK_BASE_URL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_MODEL',
  'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
];

export function engineEnv(
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

export class ClaudeCodeEngine implements CodingEngine {
  readonly name = 'claude-code';

  constructor(private readonly options: ClaudeCodeEngineOptions) {}

  args(task: CodingTask): string[] {
    const { model, maxBudgetUsd, allowedTools = DEFAULT_ALLOWED_TOOLS } = this.options;
    return [
      '-p',
      claudeCodePrompt(task),
      '--max-turns',
      String(task.maxTurns),
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'acceptEdits',
      '--allowedTools',
      allowedTools.join(','),
      '--model',
      model,
      ...(maxBudgetUsd === undefined ? [] : ['--max-budget-usd', String(maxBudgetUsd)]),
    ];
  }

  async run(task: CodingTask): Promise<CodingResult> {
    task.signal?.throwIfAborted();
    const { lines, stderr, exitCode } = await this.spawnCli(task);
    const result = findResultLine(lines);
    if (!result) {
      throw new CodingEngineError(
        `Claude Code exited with ${exitCode} and no result line: ${stderr.slice(-1000)}`,
        'no_result',
      );
    }
    return mapResult(result, this.options.model, this.options.prices);
  }

  private spawnCli(task: CodingTask): Promise<{ lines: string[]; stderr: string; exitCode: number | null }> {
    const { command, env, parentEnv = process.env, killGraceMs = 5_000 } = this.options;
    return new Promise((resolve, reject) => {
      // Its own process group, so an abort also ends whatever the CLI started (npm test, servers).
      const child = spawn(command, this.args(task), {
        cwd: task.workdir,
        env: engineEnv(parentEnv, env),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      let stderr = '';
      // Only result lines are kept: a long session streams megabytes of messages and tool output.
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('"type":"result"')) return;
        lines.push(line);
        if (lines.length > 10) lines.shift();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
      });
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), killGraceMs);
      };
      task.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => {
        task.signal?.removeEventListener('abort', onAbort);
        reject(
          new CodingEngineError(`Claude Code did not start: ${error.message}`, 'spawn_failed', {
            cause: error,
          }),
        );
      });
      child.on('close', (exitCode) => {
        clearTimeout(killTimer);
        task.signal?.removeEventListener('abort', onAbort);
        if (task.signal?.aborted) reject(task.signal.reason);
        else resolve({ lines, stderr, exitCode });
      });
    });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
