import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaudeCodeEngine } from '../../../../lambdas/adapters/coding/claude-code-engine.ts';
import { mapResult } from '../../../../lambdas/adapters/coding/claude-code-result.ts';
import { tempDirs } from '../../../support/temp-dir.ts';

const FAKE_CLI = fileURLToPath(new URL('../../../support/fake-claude-cli.mjs', import.meta.url));
const PRICES = {
  'model-big': { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
  'model-small': { inputPerMTok: 1, outputPerMTok: 5 },
};
const PARENT_ENV = {
  PATH: process.env.PATH,
  HOME: '/home/worker',
  AWS_REGION: 'eu-west-1',
  GITHUB_TOKEN: 'ghs_secret',
  REPOSITORY_TOKEN: 'ghs_other',
  TASK_TOKEN: 'task-token',
};

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

async function engineWith(mode: string, extra: Record<string, string> = {}) {
  const workdir = await dirs.make();
  const record = join(await dirs.make(), 'record.json');
  const engine = new ClaudeCodeEngine({
    command: FAKE_CLI,
    model: 'model-big',
    prices: PRICES,
    maxBudgetUsd: 2,
    parentEnv: PARENT_ENV,
    env: { CLAUDE_CODE_USE_BEDROCK: '1', FAKE_CLAUDE_MODE: mode, FAKE_CLAUDE_RECORD: record, ...extra },
    killGraceMs: 200,
  });
  const task = { workdir, spec: 'A hello page', projectName: 'hello', attempt: 1, maxTurns: 7 };
  const recorded = async () => JSON.parse(await readFile(record, 'utf8'));
  return { engine, task, recorded };
}

describe('ClaudeCodeEngine with a stand-in binary', () => {
  it('runs headless in the workdir and prices usage per model with our table', async () => {
    // Prepare
    const { engine, task, recorded } = await engineWith('result');
    // Act
    const result = await engine.run(task);
    // Assess
    const { argv, cwd } = await recorded();
    expect(cwd).toBe(task.workdir);
    expect(argv).toEqual(
      expect.arrayContaining(['-p', '--max-turns', '7', '--output-format', 'stream-json', '--verbose']),
    );
    expect(argv.slice(argv.indexOf('--permission-mode'), argv.indexOf('--permission-mode') + 2)).toEqual([
      '--permission-mode',
      'acceptEdits',
    ]);
    expect(argv.slice(argv.indexOf('--max-budget-usd'))).toEqual(['--max-budget-usd', '2']);
    expect(argv[argv.indexOf('--allowedTools') + 1]).toContain('Bash(npm test)');
    // big: 900*3 + 150*15 + 2000*0.3 + 100*3.75 = 5925 micro; small: 100*1 + 50*5 = 350 micro
    expect(result).toEqual({
      outcome: 'done',
      summary: 'Built the thing',
      usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 2000, cacheWriteTokens: 100 },
      modelId: 'model-big',
      turns: 3,
      cost: { micros: 6275, priced: true },
    });
  });

  it('gives the child only allow-listed variables: no repository or task token', async () => {
    // Prepare
    const { engine, task, recorded } = await engineWith('result');
    // Act
    await engine.run(task);
    // Assess
    const { env } = await recorded();
    expect(Object.keys(env).sort()).toEqual(
      [
        'AWS_REGION',
        'CLAUDE_CODE_USE_BEDROCK',
        'FAKE_CLAUDE_MODE',
        'FAKE_CLAUDE_RECORD',
        'HOME',
        'PATH',
      ].sort(),
    );
    expect(JSON.stringify(env)).not.toMatch(/ghs_|task-token/);
  });

  it('maps hitting the turn limit to gave_up', async () => {
    const { engine, task } = await engineWith('result', { FAKE_CLAUDE_SUBTYPE: 'error_max_turns' });
    await expect(engine.run(task)).resolves.toMatchObject({ outcome: 'gave_up', turns: 3 });
  });

  it('throws CodingEngineError when the CLI dies without a result line', async () => {
    const { engine, task } = await engineWith('crash');
    await expect(engine.run(task)).rejects.toMatchObject({ name: 'CodingEngineError', code: 'no_result' });
  });

  it('throws CodingEngineError on an error result that is not a limit', async () => {
    const { engine, task } = await engineWith('result', { FAKE_CLAUDE_SUBTYPE: 'error_during_execution' });
    await expect(engine.run(task)).rejects.toMatchObject({ code: 'error_during_execution' });
  });

  it('kills the whole process group on abort', async () => {
    // Prepare
    const { engine, task, recorded } = await engineWith('hang');
    const controller = new AbortController();
    const running = engine.run({ ...task, signal: controller.signal });
    await expect.poll(() => recorded().catch(() => undefined), { timeout: 5_000 }).toBeDefined();
    const { grandchildPid } = await recorded();
    // Act
    controller.abort(new Error('heartbeat timed out'));
    // Assess
    await expect(running).rejects.toThrow('heartbeat timed out');
    await expect.poll(() => isAlive(grandchildPid), { timeout: 5_000 }).toBe(false);
  });

  it('reports an unpriced model as unpriced rather than guessing', () => {
    const result = mapResult(
      { type: 'result', subtype: 'success', is_error: false, usage: { input_tokens: 10, output_tokens: 1 } },
      'unknown-model',
      PRICES,
    );
    expect(result.cost).toEqual({ micros: 0, priced: false });
    expect(result.usage.inputTokens).toBe(10);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
