import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { locateClaudeCode } from '../../../lambdas/adapters/coding/claude-code-binary.ts';
import { ClaudeCodeEngine } from '../../../lambdas/adapters/coding/claude-code-engine.ts';
import {
  type FakeAnthropicServer,
  finalText,
  startFakeAnthropicServer,
} from '../../support/fake-anthropic-server.ts';
import { tempDirs } from '../../support/temp-dir.ts';

// The REAL Claude Code CLI, offline, against a local fake of the Anthropic Messages API. The CLI
// is not a dependency: install it with scripts/install-claude-code.sh (or set CLAUDE_CODE_BIN).
const binary = locateClaudeCode(process.env);
const MODEL = 'claude-sonnet-4-5';
const PRICES = {
  [MODEL]: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
};

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe.skipIf(!binary)(
  'ClaudeCodeEngine with the real CLI (skipped: CLAUDE_CODE_BIN unset and no .cache/claude-code; run scripts/install-claude-code.sh)',
  () => {
    let fake: FakeAnthropicServer;
    beforeAll(async () => {
      fake = await startFakeAnthropicServer();
    });
    afterAll(() => fake.close());

    it('writes the file the model asks for, then parses and prices usage and turns', async () => {
      // Prepare
      const workdir = await dirs.make('eng-cc-work-');
      const home = await dirs.make('eng-cc-home-');
      const target = join(workdir, 'hello.txt');
      fake.reply(
        {
          content: [
            { type: 'text', text: 'Writing the file.' },
            {
              type: 'tool_use',
              id: 'toolu_01',
              name: 'Write',
              input: { file_path: target, content: 'hello\n' },
            },
          ],
          stopReason: 'tool_use',
          usage: { input: 1000, output: 100, cacheRead: 2000, cacheWrite: 400 },
        },
        finalText('Wrote hello.txt with a greeting.', { input: 1200, output: 50 }),
      );
      const engine = new ClaudeCodeEngine({
        command: binary!,
        model: MODEL,
        prices: PRICES,
        parentEnv: { PATH: process.env.PATH, GITHUB_TOKEN: 'ghs_must_not_leak' },
        env: {
          HOME: home,
          ANTHROPIC_BASE_URL: fake.baseUrl,
          ANTHROPIC_API_KEY: 'x',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
      });
      // Act
      const result = await engine.run({
        workdir,
        spec: 'Write hello.txt',
        projectName: 'hello',
        attempt: 1,
        maxTurns: 5,
      });
      // Assess
      expect(await readFile(target, 'utf8')).toBe('hello\n');
      // input 2200*3 + output 150*15 + cache read 2000*0.3 + cache write 400*3.75 = 10950 micro-dollars
      expect(result).toEqual({
        outcome: 'done',
        summary: 'Wrote hello.txt with a greeting.',
        usage: { inputTokens: 2200, outputTokens: 150, cacheReadTokens: 2000, cacheWriteTokens: 400 },
        modelId: MODEL,
        turns: 2,
        cost: { micros: 10950, priced: true },
      });
      const turns = fake.requests.filter((request) => request.turn);
      expect(turns).toHaveLength(2);
      expect(JSON.stringify(turns[0]?.body)).toContain('Write hello.txt');
      expect(JSON.stringify(fake.requests)).not.toContain('ghs_must_not_leak');
    });

    it('maps hitting --max-turns to gave_up', async () => {
      // Prepare
      const workdir = await dirs.make('eng-cc-work-');
      const toolTurn = (id: string) => ({
        content: [
          {
            type: 'tool_use' as const,
            id,
            name: 'Write',
            input: { file_path: join(workdir, `${id}.txt`), content: 'x\n' },
          },
        ],
        stopReason: 'tool_use' as const,
        usage: { input: 10, output: 5 },
      });
      fake.reply(toolTurn('toolu_a'), toolTurn('toolu_b'), toolTurn('toolu_c'));
      const engine = new ClaudeCodeEngine({
        command: binary!,
        model: MODEL,
        prices: PRICES,
        parentEnv: { PATH: process.env.PATH },
        env: {
          HOME: await dirs.make('eng-cc-home-'),
          ANTHROPIC_BASE_URL: fake.baseUrl,
          ANTHROPIC_API_KEY: 'x',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
      });
      // Act
      const result = await engine.run({
        workdir,
        spec: 'Loop',
        projectName: 'loop',
        attempt: 1,
        maxTurns: 2,
      });
      // Assess
      expect(result.outcome).toBe('gave_up');
      expect(result.summary).toContain('error_max_turns');
    });
  },
);
